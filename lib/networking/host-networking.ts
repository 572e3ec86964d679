import { Construct } from "constructs";
import { NodeFile } from "../host/node-file";
import { isIpv4 } from "../private/cidr";
import type { ClusterModel } from "../spec/model";
import type { NodeSpec } from "../spec/schema";
import type { ClusterSpec } from "../spec/validate";

/** Where the kubeforge-managed host entries live; the bootstrap merges them into /etc/hosts. */
export const KUBEFORGE_HOSTS_FILE = "/etc/kubeforge/hosts";
/** Kernel modules loaded at boot by systemd-modules-load. */
export const MODULES_LOAD_FILE = "/etc/modules-load.d/kubeforge.conf";
/** The sysctl profile, applied at boot by systemd-sysctl and by the bootstrap. */
export const SYSCTL_FILE = "/etc/sysctl.d/99-kubeforge.conf";
/** Markers around the managed block in /etc/hosts, so a re-run replaces only that block. */
export const HOSTS_BEGIN_MARKER = "# BEGIN kubeforge managed hosts";
export const HOSTS_END_MARKER = "# END kubeforge managed hosts";

/**
 * The values the kubelet checks at start-up with `protectKernelDefaults: true`: it refuses to run
 * when any differs (pkg/kubelet/cm/container_manager_linux.go `setupKernelTunables`, constants in
 * k8s.io/component-helpers/node/util/sysctl). The profile must set exactly these.
 */
export const KUBELET_KERNEL_DEFAULTS: Readonly<Record<string, number>> = {
  "vm.overcommit_memory": 1,
  "vm.panic_on_oom": 0,
  "kernel.panic": 10,
  "kernel.panic_on_oops": 1,
  "kernel.keys.root_maxkeys": 1000000,
  "kernel.keys.root_maxbytes": 25000000,
};

/** A kernel parameter value as sysctl.d accepts it. */
export type SysctlValue = string | number;

/**
 * The default sysctl profile: forwarding and bridge netfilter for pod traffic, larger socket
 * buffers and backlogs for busy nodes, conntrack and inotify limits sized for many pods, and the
 * kubelet's protected kernel defaults. Every key may be overridden by `networking.sysctls`,
 * except the kubelet's, which validation pins (`SYSCTL_CONFLICT`).
 */
export const DEFAULT_SYSCTLS: Readonly<Record<string, SysctlValue>> = {
  "net.ipv4.ip_forward": 1,
  "net.bridge.bridge-nf-call-iptables": 1,
  "net.bridge.bridge-nf-call-ip6tables": 1,
  "net.core.rmem_max": 16777216,
  "net.core.wmem_max": 16777216,
  "net.core.rmem_default": 262144,
  "net.core.wmem_default": 262144,
  "net.core.netdev_max_backlog": 16384,
  "net.core.somaxconn": 32768,
  "net.netfilter.nf_conntrack_max": 1048576,
  "fs.inotify.max_user_watches": 524288,
  "fs.inotify.max_user_instances": 8192,
  ...KUBELET_KERNEL_DEFAULTS,
};

/** The effective profile: defaults, then the spec's overrides. */
export function sysctlProfile(spec: Pick<ClusterSpec, "networking">): Record<string, SysctlValue> {
  return { ...DEFAULT_SYSCTLS, ...spec.networking.sysctls };
}

/** `/etc/sysctl.d` text, keys sorted so the output is stable. */
export function renderSysctls(profile: Readonly<Record<string, SysctlValue>>): string {
  const lines = Object.keys(profile)
    .sort()
    .map((k) => `${k} = ${String(profile[k])}`);
  return `# Managed by kubeforge. Override values with networking.sysctls in the cluster spec.\n${lines.join("\n")}\n`;
}

/**
 * Kernel modules: overlay (containerd's snapshotter), br_netfilter (bridge-nf-call sysctls),
 * nf_conntrack (conntrack limits), plus the IPVS schedulers for `ipvs` and nf_tables for `nftables`.
 */
export function kernelModules(spec: Pick<ClusterSpec, "networking">): string[] {
  const modules = ["overlay", "br_netfilter", "nf_conntrack"];
  const mode = spec.networking.kubeProxy.mode;
  if (mode === "ipvs") modules.push("ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh");
  if (mode === "nftables") modules.push("nf_tables");
  return modules;
}

/** One line of the managed hosts block. */
export interface HostEntry {
  readonly address: string;
  readonly names: readonly string[];
}

/**
 * The managed /etc/hosts entries of one node: the node itself, every control-plane node (what a node
 * must reach by name), the endpoint when it is a DNS name that resolves to the only control-plane node
 * (with several, the name must resolve through DNS or `networking.extraHosts`, because kubeforge cannot
 * know a load balancer's address), then the spec's extra entries. Names of one address are merged, in
 * first-seen order.
 *
 * Workers are deliberately not listed on every host: Kubernetes reaches nodes by InternalIP
 * (`--kubelet-preferred-address-types`), and listing all nodes everywhere would make each hosts file
 * grow with the cluster (25 million lines in total at 5,000 nodes) and make adding one worker rewrite
 * every node's files.
 */
export function hostEntries(model: ClusterModel, node: NodeSpec): HostEntry[] {
  const byAddress = new Map<string, string[]>();
  const add = (address: string, names: readonly string[]) => {
    const list = byAddress.get(address) ?? [];
    for (const name of names) if (!list.includes(name)) list.push(name);
    byAddress.set(address, list);
  };
  add(node.address, [node.name]);
  for (const cp of model.controlPlaneNodes) add(cp.address, [cp.name]);
  const only = model.controlPlaneNodes.length === 1 ? model.controlPlaneNodes[0] : undefined;
  if (!isIpv4(model.endpoint.host) && only) add(only.address, [model.endpoint.host]);
  for (const entry of model.spec.networking.extraHosts) add(entry.address, entry.names);
  return [...byAddress].map(([address, names]) => ({ address, names }));
}

/** The managed block, markers included. */
export function renderHostsBlock(entries: readonly HostEntry[]): string {
  const lines = entries.map((e) => `${e.address} ${e.names.join(" ")}`);
  return `${HOSTS_BEGIN_MARKER}\n${lines.join("\n")}\n${HOSTS_END_MARKER}\n`;
}

/** Props of {@link HostNetworking}. */
export interface HostNetworkingProps {
  /** The derived cluster model. */
  readonly model: ClusterModel;
  /** The node whose host networking this is. */
  readonly node: NodeSpec;
}

/**
 * Host networking of one node: the managed hosts block (merged into /etc/hosts by the bootstrap,
 * never replacing the host's own entries), kernel modules and the sysctl profile.
 * @see https://kubernetes.io/docs/setup/production-environment/container-runtimes/#prerequisite-ipv4-forwarding-optional
 */
export class HostNetworking extends Construct {
  readonly sysctls: Readonly<Record<string, SysctlValue>>;
  readonly modules: readonly string[];
  readonly hosts: readonly HostEntry[];

  constructor(scope: Construct, id: string, props: HostNetworkingProps) {
    super(scope, id);
    const { model } = props;
    this.sysctls = sysctlProfile(model.spec);
    this.modules = kernelModules(model.spec);
    this.hosts = hostEntries(model, props.node);
    NodeFile.text(this, "hosts", KUBEFORGE_HOSTS_FILE, renderHostsBlock(this.hosts), 0o644);
    NodeFile.text(this, "modules", MODULES_LOAD_FILE, `${this.modules.join("\n")}\n`, 0o644);
    NodeFile.text(this, "sysctl", SYSCTL_FILE, renderSysctls(this.sysctls), 0o644);
  }
}
