import { describe, expect, it } from "vitest";
import { MetricsServer, metricsServerArgs } from "../../lib/networking/metrics-server";
import { validateObject } from "../schema-validate";
import { defaultSpec, render } from "../util";

type Obj = Record<string, unknown> & { kind: string; metadata: { name: string } };

function objectsOf(spec = defaultSpec()): Obj[] {
  return (render(spec).rendered.clusterObjects.find((g) => g.name === "metrics-server.yaml")?.objects ??
    []) as Obj[];
}

describe("metrics-server", () => {
  const objects = objectsOf();

  it("is installed by default; every object, the APIService included, is schema-valid", () => {
    expect(objects.map((o) => o.kind).sort()).toStrictEqual([
      "APIService",
      "ClusterRole",
      "ClusterRole",
      "ClusterRoleBinding",
      "ClusterRoleBinding",
      "Deployment",
      "PodDisruptionBudget",
      "RoleBinding",
      "Service",
      "ServiceAccount",
    ]);
    for (const o of objects) validateObject(o);
  });

  it("verifies kubelet serving certificates against the cluster CA on the InternalIP, never insecurely", () => {
    const args = metricsServerArgs();
    expect(args).toContain("--kubelet-preferred-address-types=InternalIP");
    expect(args).toContain(
      "--kubelet-certificate-authority=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
    );
    expect(args.some((a) => a.startsWith("--kubelet-insecure-tls"))).toBe(false);
    const deployment = objects.find((o) => o.kind === "Deployment");
    expect(JSON.stringify(deployment)).toContain(
      '"image":"registry.k8s.io/metrics-server/metrics-server:v0.8.0"',
    );
    expect(JSON.stringify(deployment)).not.toContain("insecure-tls");
  });

  it("reads only nodes, pods and nodes/metrics, and serves metrics.k8s.io to view/edit/admin", () => {
    const roles = new Map(objects.filter((o) => o.kind === "ClusterRole").map((r) => [r.metadata.name, r]));
    expect(roles.get("system:metrics-server")?.rules).toStrictEqual([
      { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] },
    ]);
    const aggregated = roles.get("system:aggregated-metrics-reader") as Obj & {
      metadata: { labels: Record<string, string> };
    };
    expect(aggregated.metadata.labels["rbac.authorization.k8s.io/aggregate-to-view"]).toBe("true");
    const api = objects.find((o) => o.kind === "APIService") as Obj & { spec: Record<string, unknown> };
    expect(api.metadata.name).toBe("v1beta1.metrics.k8s.io");
    expect(api.spec.service).toStrictEqual({ name: "metrics-server", namespace: "kube-system", port: 443 });
  });

  it("is absent with monitoring.metricsServer: false, and refuses zero replicas", () => {
    const spec = defaultSpec();
    spec.monitoring = { metricsServer: false };
    expect(objectsOf(spec)).toStrictEqual([]);
    const { cluster } = render(defaultSpec());
    expect(() => new MetricsServer(cluster, "bad", { replicas: 0 })).toThrow(RangeError);
  });
});
