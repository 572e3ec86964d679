import type { ClusterSpecInput } from "./schema";

/**
 * The built-in default cluster: three control-plane nodes with stacked etcd behind a virtual IP,
 * and three workers. Addresses are from 192.0.2.0/24 (TEST-NET-1, RFC 5737), reserved for
 * documentation: replace them with your hosts' addresses.
 */
export const DEFAULT_CLUSTER_SPEC: ClusterSpecInput = {
  name: "kubeforge",
  controlPlane: { endpoint: { host: "192.0.2.10", port: 6443 } },
  nodes: [
    { name: "cp-1", roles: ["control-plane", "etcd"], address: "192.0.2.11" },
    { name: "cp-2", roles: ["control-plane", "etcd"], address: "192.0.2.12" },
    { name: "cp-3", roles: ["control-plane", "etcd"], address: "192.0.2.13" },
    { name: "worker-1", roles: ["worker"], address: "192.0.2.21" },
    { name: "worker-2", roles: ["worker"], address: "192.0.2.22" },
    { name: "worker-3", roles: ["worker"], address: "192.0.2.23" },
  ],
};
