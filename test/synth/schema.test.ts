import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import { MODEL_CLASSES, validateObject } from "../schema-validate";
import { defaultSpec, render } from "../util";

/**
 * Every synthesized Kubernetes object, across the main spec variants, against the official
 * OpenAPI schemas (kubernetes-models): cluster objects and the static pods on every node.
 * prometheus-operator kinds have their own schemas, checked in test/monitoring.
 */
const variants: Record<string, () => ClusterSpecInput> = {
  default: defaultSpec,
  "flannel, nftables, haproxy-keepalived, 1.34": () => ({
    ...defaultSpec(),
    kubernetesVersion: "1.34",
    controlPlane: {
      endpoint: { host: "192.0.2.10", port: 8443 },
      loadBalancer: { provider: "haproxy-keepalived" },
    },
    networking: { cni: { plugin: "flannel", enforceNetworkPolicy: false }, kubeProxy: { mode: "nftables" } },
  }),
  "external etcd, cloud provider, every monitoring option, 1.33": () => ({
    ...defaultSpec(),
    kubernetesVersion: "1.33",
    etcd: { topology: "external" },
    controlPlane: {
      endpoint: { host: "192.0.2.10" },
      cloudProvider: { name: "example", image: "registry.example.internal/ccm:v1.0.0" },
    },
    nodes: [
      { name: "cp-1", roles: ["control-plane"], address: "192.0.2.11" },
      { name: "cp-2", roles: ["control-plane"], address: "192.0.2.12" },
      { name: "etcd-1", roles: ["etcd"], address: "192.0.2.31" },
      { name: "etcd-2", roles: ["etcd"], address: "192.0.2.32" },
      { name: "etcd-3", roles: ["etcd"], address: "192.0.2.33" },
      { name: "worker-1", roles: ["worker"], address: "192.0.2.21" },
    ],
    monitoring: { prometheusOperator: true, dashboard: true },
    security: { defaultDenyNetworkPolicies: ["apps"] },
  }),
};

describe("official schemas", () => {
  for (const [name, spec] of Object.entries(variants)) {
    it(`validates every cluster object and static pod (${name})`, () => {
      const { rendered } = render(spec());
      let validated = 0;
      const elsewhere = new Set<string>();
      for (const group of rendered.clusterObjects) {
        for (const obj of group.objects) {
          const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
          if (MODEL_CLASSES.has(key)) {
            validateObject(obj);
            validated++;
          } else elsewhere.add(key);
        }
      }
      for (const node of rendered.nodes) {
        for (const f of node.files.filter((x) => x.path.startsWith("/etc/kubernetes/manifests/"))) {
          const pod = parse(f.content) as Record<string, unknown>;
          expect(pod.kind, `${node.name}:${f.path}`).toBe("Pod");
          validateObject(pod);
          validated++;
        }
      }
      expect(validated).toBeGreaterThan(40);
      for (const key of elsewhere) expect(key).toMatch(/^monitoring\.coreos\.com\//);
    });
  }

  it("rejects an object that breaks its schema (the check can fail)", () => {
    const { rendered } = render(defaultSpec());
    const deployment = rendered.clusterObjects.flatMap((g) => g.objects).find((o) => o.kind === "Deployment");
    if (!deployment) throw new Error("fixture: no Deployment");
    const broken = structuredClone(deployment) as { spec: { replicas: unknown } };
    broken.spec.replicas = "two";
    expect(() => validateObject(broken as unknown as Record<string, unknown>)).toThrow();
  });
});
