import { App } from "cdk8s";
import { describe, expect, it } from "vitest";
import { CoreDns, corefile } from "../../lib/networking/coredns";
import { ClusterModel } from "../../lib/spec/model";
import { resolveClusterSpec } from "../../lib/spec/validate";
import { validateObjects } from "../schema-validate";
import { render } from "../util";
import { addonSpec, clusterFile, find, objectsOf } from "./fixtures";

describe("CoreDNS", () => {
  it("renders only objects that pass the official schemas", () => {
    const objects = objectsOf(addonSpec(), "coredns.yaml");
    expect(validateObjects(objects)).toBe(7);
  });

  it("serves kube-dns at the 10th service address with DNS and metrics ports", () => {
    const objects = objectsOf(
      addonSpec((s) => (s.networking = { serviceCIDR: "172.20.0.0/16" })),
      "coredns.yaml",
    );
    const service = find(objects, "Service", "kube-dns");
    expect(service.metadata.namespace).toBe("kube-system");
    expect(service.spec.clusterIP).toBe("172.20.0.10");
    expect(service.spec.ports).toStrictEqual([
      { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
      { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
      { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
    ]);
    const podLabels = find(objects, "Deployment", "coredns").spec.template.metadata.labels;
    expect(podLabels).toMatchObject(service.spec.selector);
  });

  it("runs two replicas spread across nodes, protected by a disruption budget", () => {
    const objects = objectsOf(addonSpec(), "coredns.yaml");
    const deployment = find(objects, "Deployment", "coredns");
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    const term =
      pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm;
    expect(term.topologyKey).toBe("kubernetes.io/hostname");
    expect(term.labelSelector.matchExpressions).toStrictEqual([
      { key: "k8s-app", operator: "In", values: ["kube-dns"] },
    ]);
    const pdb = find(objects, "PodDisruptionBudget", "coredns");
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(deployment.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(pod.priorityClassName).toBe("system-cluster-critical");
    expect(pod.tolerations).toContainEqual({
      key: "node-role.kubernetes.io/control-plane",
      effect: "NoSchedule",
    });
  });

  it("runs non-root on a read-only root filesystem with NET_BIND_SERVICE only", () => {
    const pod = find(objectsOf(addonSpec(), "coredns.yaml"), "Deployment", "coredns").spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const [container] = pod.containers;
    expect(container.securityContext).toStrictEqual({
      allowPrivilegeEscalation: false,
      capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
      readOnlyRootFilesystem: true,
    });
    expect(container.resources.requests).toStrictEqual({ cpu: "100m", memory: "70Mi" });
    expect(container.resources.limits).toStrictEqual({ memory: "170Mi" });
  });

  it("uses the version table's CoreDNS image for the Kubernetes minor", () => {
    const { cluster, rendered } = render(addonSpec());
    const pod = find(clusterFile(rendered, "coredns.yaml") ?? [], "Deployment", "coredns").spec.template.spec;
    expect(pod.containers[0].image).toBe(cluster.model.images.coredns);
    expect(pod.containers[0].image.endsWith(`:${cluster.spec.release.coredns}`)).toBe(true);
  });

  it("serves the spec's cluster domain with the expected plugins", () => {
    const objects = objectsOf(
      addonSpec((s) => (s.networking = { dnsDomain: "k8s.example.internal" })),
      "coredns.yaml",
    );
    const text = find(objects, "ConfigMap", "coredns").data?.Corefile ?? "";
    expect(text).toBe(corefile("k8s.example.internal"));
    expect(text).toContain("kubernetes k8s.example.internal in-addr.arpa ip6.arpa {");
    const directives = text
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((d): d is string => d !== undefined && d !== "" && d !== "}");
    for (const plugin of [
      "errors",
      "health",
      "lameduck",
      "ready",
      "kubernetes",
      "pods",
      "fallthrough",
      "prometheus",
      "forward",
      "cache",
      "loop",
      "reload",
      "loadbalance",
    ]) {
      expect(directives).toContain(plugin);
    }
    expect(text).toContain("pods insecure");
    expect(text).toContain("forward . /etc/resolv.conf");
    expect(text).toContain("cache 30");
    expect(text).toContain("prometheus :9153");
  });

  it("may list and watch only what the kubernetes plugin reads", () => {
    const objects = objectsOf(addonSpec(), "coredns.yaml");
    expect(
      (find(objects, "ClusterRole", "system:coredns") as unknown as { rules: unknown }).rules,
    ).toStrictEqual([
      {
        apiGroups: [""],
        resources: ["endpoints", "services", "pods", "namespaces"],
        verbs: ["list", "watch"],
      },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    ]);
    expect(find(objects, "ClusterRoleBinding", "system:coredns").subjects).toStrictEqual([
      { kind: "ServiceAccount", name: "coredns", namespace: "kube-system" },
    ]);
  });

  it("refuses fewer than two replicas", () => {
    const model = new ClusterModel(resolveClusterSpec(addonSpec()));
    expect(() => new CoreDns(new App(), "coredns", { model, replicas: 1 })).toThrow(RangeError);
    const three = new CoreDns(new App(), "coredns", { model, replicas: 3 });
    expect(three.replicas).toBe(3);
  });
});
