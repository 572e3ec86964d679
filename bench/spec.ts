import type { ClusterSpecInput } from "../lib/spec/schema";

/**
 * The default topology scaled to `nodes` hosts: 3 control-plane nodes (5 from 100 nodes up) with
 * stacked etcd behind the endpoint, the rest workers, on 172.16.0.0/12 addresses.
 */
export function scaledSpec(nodes: number, changedWorker?: number): ClusterSpecInput {
  const controlPlanes = nodes >= 100 ? 5 : 3;
  const address = (i: number) => {
    const k = i + 1; // skips 172.16.0.0
    return `172.${16 + Math.floor(k / 65536)}.${Math.floor(k / 256) % 256}.${k % 256}`;
  };
  const spec: ClusterSpecInput = {
    name: "bench",
    controlPlane: {
      endpoint: { host: "api.bench.example.internal" },
      loadBalancer: { provider: "external" },
    },
    nodes: Array.from({ length: nodes }, (_, i) =>
      i < controlPlanes
        ? { name: `cp-${i + 1}`, roles: ["control-plane", "etcd"], address: address(i) }
        : {
            name: `worker-${i + 1 - controlPlanes}`,
            roles: ["worker"],
            address: address(i),
            labels: i === changedWorker ? { "example.com/changed": "true" } : ({} as Record<string, string>),
          },
    ),
  };
  return spec;
}
