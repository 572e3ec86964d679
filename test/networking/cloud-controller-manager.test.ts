import { describe, expect, it } from "vitest";
import { cloudControllerManagerArgs } from "../../lib/networking/cloud-controller-manager";
import { ClusterModel } from "../../lib/spec/model";
import { resolveClusterSpec } from "../../lib/spec/validate";
import { validateObjects } from "../schema-validate";
import { render } from "../util";
import { addonSpec, clusterFile, find, objectsOf } from "./fixtures";

const IMAGE = "registry.example.internal/cloud-controller-manager:v1.35.0";
const cloudSpec = (args: string[] = []) =>
  addonSpec((s) => {
    s.controlPlane = { ...s.controlPlane, cloudProvider: { name: "openstack", image: IMAGE, args } };
  });

describe("cloud-controller-manager", () => {
  it("is absent without an external cloud provider", () => {
    expect(clusterFile(render(addonSpec()).rendered, "cloud-controller-manager.yaml")).toBeUndefined();
  });

  it("renders only objects that pass the official schemas", () => {
    const objects = objectsOf(cloudSpec(), "cloud-controller-manager.yaml");
    expect(validateObjects(objects)).toBe(objects.length);
    expect(objects.map((o) => o.kind).sort()).toStrictEqual([
      "ClusterRole",
      "ClusterRoleBinding",
      "ClusterRoleBinding",
      "Deployment",
      "RoleBinding",
      "ServiceAccount",
    ]);
  });

  it("runs the provider with leader election and per-controller credentials", () => {
    const container = find(
      objectsOf(cloudSpec(["--cloud-config=/etc/cloud/cloud.conf"]), "cloud-controller-manager.yaml"),
      "Deployment",
      "cloud-controller-manager",
    ).spec.template.spec.containers[0];
    expect(container.image).toBe(IMAGE);
    expect(container.args).toContain("--cloud-provider=openstack");
    expect(container.args).toContain("--use-service-account-credentials=true");
    expect(container.args).toContain("--leader-elect=true");
    expect(container.args).toContain("--bind-address=127.0.0.1");
    expect(container.args).toContain("--cluster-cidr=10.244.0.0/16");
    expect(container.args).toContain("--cloud-config=/etc/cloud/cloud.conf");
    expect([...container.args].sort()).toStrictEqual(container.args);
  });

  it("lets an extra argument replace kubeforge's value for the same flag", () => {
    const model = new ClusterModel(resolveClusterSpec(cloudSpec()));
    const args = cloudControllerManagerArgs(model, "aws", ["--configure-cloud-routes=true", "--v"]);
    expect(args.filter((a) => a.startsWith("--configure-cloud-routes"))).toStrictEqual([
      "--configure-cloud-routes=true",
    ]);
    expect(args).toContain("--v");
    expect(() => cloudControllerManagerArgs(model, "aws", ["cloud-config=/x"])).toThrow(RangeError);
  });

  it("runs once per control-plane node, on those nodes only, tolerating uninitialized nodes", () => {
    const { cluster, rendered } = render(cloudSpec());
    const deployment = find(
      clusterFile(rendered, "cloud-controller-manager.yaml") ?? [],
      "Deployment",
      "cloud-controller-manager",
    );
    const controlPlane = cluster.model.controlPlaneNodes.map((n) => n.name);
    expect(deployment.spec.replicas).toBe(controlPlane.length);
    const pod = deployment.spec.template.spec;
    const terms = pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms).toStrictEqual([
      { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: controlPlane }] },
    ]);
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe(
      "kubernetes.io/hostname",
    );
    expect(pod.tolerations).toContainEqual({
      key: "node.cloudprovider.kubernetes.io/uninitialized",
      value: "true",
      effect: "NoSchedule",
    });
    expect(pod.hostNetwork).toBe(true);
    expect(pod.serviceAccountName).toBe("cloud-controller-manager");
  });

  it("grants no wildcard and binds its own role, auth delegation and the authentication reader", () => {
    const objects = objectsOf(cloudSpec(), "cloud-controller-manager.yaml");
    const role = find(objects, "ClusterRole", "system:cloud-controller-manager") as unknown as {
      rules: Record<string, string[]>[];
    };
    for (const rule of role.rules)
      for (const f of ["apiGroups", "resources", "verbs"]) expect(rule[f]).not.toContain("*");
    expect(role.rules).toContainEqual({
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      verbs: ["get", "create", "update"],
    });
    const refs = objects
      .filter((o) => o.kind.endsWith("Binding"))
      .map((o) => (o as unknown as { roleRef: { name: string } }).roleRef.name)
      .sort();
    expect(refs).toStrictEqual([
      "extension-apiserver-authentication-reader",
      "system:auth-delegator",
      "system:cloud-controller-manager",
    ]);
  });
});
