import { Construct } from "constructs";
import { NodeFile } from "../host/node-file";
import { MANIFESTS_DIR, paths } from "../paths";
import { STRONG_CIPHER_SUITES, TLS_MIN_VERSION } from "../security/tls";
import type { ClusterModel } from "../spec/model";
import type { NodeSpec } from "../spec/schema";
import { CONTAINERD_SOCKET } from "./containerd";

/** The kubelet's configuration file (kubeadm's path). */
export const KUBELET_CONFIG = "/var/lib/kubelet/config.yaml";
/** The kubelet unit and kubeforge's drop-in carrying the flags. */
export const KUBELET_UNIT = "/etc/systemd/system/kubelet.service";
export const KUBELET_DROP_IN = "/etc/systemd/system/kubelet.service.d/10-kubeforge.conf";
/** Where the bootstrap installs the kubelet binary. */
export const KUBELET_BINARY = "/usr/local/bin/kubelet";

/** The taint kubeadm puts on control-plane nodes that do not run workloads. */
export const CONTROL_PLANE_TAINT = {
  key: "node-role.kubernetes.io/control-plane",
  effect: "NoSchedule",
} as const;

/**
 * Labels under `kubernetes.io` / `k8s.io` that the NodeRestriction admission plugin lets a kubelet
 * set on its own Node (kubelet `--node-labels` validation, k8s.io/kubelet/pkg/apis well_known_labels).
 */
const KUBELET_ALLOWED_LABELS = new Set([
  "kubernetes.io/hostname",
  "kubernetes.io/arch",
  "kubernetes.io/os",
  "beta.kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "failure-domain.beta.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "topology.kubernetes.io/zone",
]);
const KUBELET_ALLOWED_NAMESPACES = ["kubelet.kubernetes.io", "node.kubernetes.io"];

/**
 * True when a kubelet may set this label on its own Node. Labels in the `kubernetes.io` and `k8s.io`
 * namespaces are reserved (`node-role.kubernetes.io/*`, `node-restriction.kubernetes.io/*`…): the
 * kubelet refuses to start with them in `--node-labels`, so they are applied through the API instead.
 */
export function kubeletMaySetLabel(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  const reserved = ["kubernetes.io", "k8s.io"].some((d) => prefix === d || prefix.endsWith(`.${d}`));
  if (!reserved) return true;
  return KUBELET_ALLOWED_LABELS.has(key) || KUBELET_ALLOWED_NAMESPACES.some((ns) => prefix === ns);
}

/** The node's labels split into those the kubelet sets itself and those the apply step sets. */
export interface NodeLabels {
  /** Passed to `--node-labels`. */
  readonly kubelet: Readonly<Record<string, string>>;
  /** Applied through the API server by the apply step (role labels and other reserved ones). */
  readonly api: Readonly<Record<string, string>>;
}

/** The labels of a node: its roles as `node-role.kubernetes.io/<role>` plus the spec's labels. */
export function nodeLabels(node: NodeSpec): NodeLabels {
  const all: Record<string, string> = {};
  for (const role of [...node.roles].sort()) {
    if (role !== "etcd") all[`node-role.kubernetes.io/${role}`] = "";
  }
  Object.assign(all, node.labels);
  const kubelet: Record<string, string> = {};
  const api: Record<string, string> = {};
  for (const key of Object.keys(all).sort()) {
    (kubeletMaySetLabel(key) ? kubelet : api)[key] = all[key] ?? "";
  }
  return { kubelet, api };
}

/** The taints the kubelet registers the node with: the spec's, and the control-plane taint on non-workers. */
export function nodeTaints(node: NodeSpec): { key: string; value?: string; effect: string }[] {
  const taints = node.taints.map((t) => ({
    key: t.key,
    ...(t.value !== undefined ? { value: t.value } : {}),
    effect: t.effect,
  }));
  const dedicated = node.roles.includes("control-plane") && !node.roles.includes("worker");
  if (dedicated && !taints.some((t) => t.key === CONTROL_PLANE_TAINT.key))
    taints.push({ ...CONTROL_PLANE_TAINT });
  return taints;
}

/** Minor number of `1.34.2` → 34. */
function minorOf(version: string): number {
  return Number(version.split(".")[1]);
}

/**
 * The hardened KubeletConfiguration of one node, written as a plain document (cdk8s would add
 * `metadata.name`, which component configs do not have).
 *
 * Every field exists in kubelet.config.k8s.io/v1beta1 of 1.33–1.36 (checked against
 * staging/src/k8s.io/kubelet/config/v1beta1/types.go; `containerRuntimeEndpoint` since 1.27,
 * `registerWithTaints` since 1.23). `streamingConnectionIdleTimeout` is deprecated from 1.34
 * ("no longer has any effect", kubernetes/kubernetes#131992), so it is set on 1.33 only.
 * @see https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/
 */
export function kubeletConfiguration(model: ClusterModel, node: NodeSpec): Record<string, unknown> {
  const { spec } = model;
  const k = spec.kubelet;
  const isControlPlane = node.roles.includes("control-plane");
  const taints = nodeTaints(node);
  const serving = k.serverTLSBootstrap
    ? { serverTLSBootstrap: true }
    : { tlsCertFile: paths.kubeletServingCert, tlsPrivateKeyFile: paths.kubeletServingKey };
  return {
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true, cacheTTL: "2m0s" },
      x509: { clientCAFile: paths.caCert },
    },
    authorization: {
      mode: "Webhook",
      webhook: { cacheAuthorizedTTL: "5m0s", cacheUnauthorizedTTL: "30s" },
    },
    cgroupDriver: "systemd",
    clusterDNS: [model.dnsServiceIp],
    clusterDomain: spec.networking.dnsDomain,
    containerRuntimeEndpoint: CONTAINERD_SOCKET,
    eventRecordQPS: 50,
    evictionHard: { ...k.evictionHard },
    failSwapOn: true,
    healthzBindAddress: "127.0.0.1",
    healthzPort: 10248,
    kubeReserved: { ...k.kubeReserved },
    makeIPTablesUtilChains: true,
    maxPods: k.maxPods,
    protectKernelDefaults: true,
    readOnlyPort: 0,
    ...(taints.length > 0 ? { registerWithTaints: taints } : {}),
    rotateCertificates: true,
    ...serving,
    ...(isControlPlane ? { staticPodPath: MANIFESTS_DIR } : {}),
    ...(minorOf(spec.kubernetesVersion) <= 33 ? { streamingConnectionIdleTimeout: "5m0s" } : {}),
    systemReserved: { ...k.systemReserved },
    tlsCipherSuites: [...STRONG_CIPHER_SUITES],
    tlsMinVersion: TLS_MIN_VERSION,
  };
}

/**
 * kubelet flags that have no configuration-file field (everything else is in the file):
 * `--config`, `--kubeconfig`, `--node-ip`, `--hostname-override` (the Node name must match the
 * client certificate's `system:node:<name>`), `--node-labels` and `--cloud-provider=external`.
 * @see https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/
 */
export function kubeletFlags(model: ClusterModel, node: NodeSpec): Record<string, string> {
  const labels = nodeLabels(node).kubelet;
  const flags: Record<string, string> = {
    config: KUBELET_CONFIG,
    "hostname-override": node.name,
    kubeconfig: paths.kubeletKubeconfig,
    "node-ip": node.address,
  };
  const labelList = Object.keys(labels).map((key) => `${key}=${labels[key]}`);
  if (labelList.length > 0) flags["node-labels"] = labelList.join(",");
  if (model.spec.controlPlane.cloudProvider) flags["cloud-provider"] = "external";
  return flags;
}

/** The kubelet unit: the binary only; flags come from the drop-in. */
export function kubeletUnit(): string {
  return [
    "[Unit]",
    "Description=kubelet: The Kubernetes Node Agent",
    "Documentation=https://kubernetes.io/docs/",
    "Wants=network-online.target containerd.service",
    "After=network-online.target containerd.service",
    "",
    "[Service]",
    `ExecStart=${KUBELET_BINARY}`,
    "Restart=always",
    "StartLimitInterval=0",
    "RestartSec=10",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The drop-in: resets ExecStart and starts the kubelet with the sorted flags. */
export function kubeletDropIn(flags: Readonly<Record<string, string>>): string {
  const args = Object.keys(flags)
    .sort()
    .map((k) => ` \\\n  --${k}=${flags[k]}`)
    .join("");
  return `# Managed by kubeforge.\n[Service]\nExecStart=\nExecStart=${KUBELET_BINARY}${args}\n`;
}

/** Props of {@link Kubelet}. */
export interface KubeletProps {
  /** The derived cluster model. */
  readonly model: ClusterModel;
  /** The node the kubelet runs on. */
  readonly node: NodeSpec;
}

/**
 * The kubelet of one node: configuration file, unit and drop-in (all 0600: CIS 4.1.1, 4.1.9).
 * Labels the kubelet may not set itself are exposed as {@link Kubelet.apiLabels} for the apply step.
 */
export class Kubelet extends Construct {
  readonly configuration: Record<string, unknown>;
  readonly flags: Readonly<Record<string, string>>;
  /** Labels the apply step sets through the API server (NodeRestriction forbids the kubelet). */
  readonly apiLabels: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: KubeletProps) {
    super(scope, id);
    const { model, node } = props;
    this.configuration = kubeletConfiguration(model, node);
    this.flags = kubeletFlags(model, node);
    this.apiLabels = nodeLabels(node).api;
    NodeFile.yaml(this, "config", KUBELET_CONFIG, this.configuration, 0o600);
    NodeFile.text(this, "unit", KUBELET_UNIT, kubeletUnit(), 0o600);
    NodeFile.text(this, "drop-in", KUBELET_DROP_IN, kubeletDropIn(this.flags), 0o600);
  }
}
