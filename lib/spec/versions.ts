/**
 * The supported-versions table: per Kubernetes minor, the images kubeadm pairs with it.
 * Values are kubeadm's constants for that release (cmd/kubeadm/app/constants/constants.go);
 * see the README's "Version table" section for sources.
 */

/** An etcd minor: selects the flag dialect (3.4/3.5 `--experimental-*`, 3.6 `--feature-gates`). */
export type EtcdMinor = "3.4" | "3.5" | "3.6";

export interface KubernetesRelease {
  /** `1.34` */
  readonly minor: string;
  /** The patch release used when the spec names only the minor, e.g. `1.34.2`. */
  readonly defaultPatch: string;
  /** etcd image tag from registry.k8s.io/etcd, e.g. `3.6.5-0`. */
  readonly etcd: string;
  /** CoreDNS image tag, e.g. `v1.12.1`. */
  readonly coredns: string;
  /** pause (sandbox) image tag, e.g. `3.10.1`. */
  readonly pause: string;
}

/**
 * Newest first. The first entry is the default version. A minor is listed only when the node
 * bootstrap can install its default patch from verified binaries (lib/worker/checksums.ts pins the
 * kubelet and kubectl SHA-256 digests of exactly these patches).
 */
export const KUBERNETES_RELEASES: readonly KubernetesRelease[] = [
  { minor: "1.35", defaultPatch: "1.35.1", etcd: "3.6.6-0", coredns: "v1.13.1", pause: "3.10.1" },
  { minor: "1.34", defaultPatch: "1.34.4", etcd: "3.6.5-0", coredns: "v1.12.1", pause: "3.10.1" },
  { minor: "1.33", defaultPatch: "1.33.8", etcd: "3.5.24-0", coredns: "v1.12.0", pause: "3.10" },
];

/** The supported minors, newest first. */
export const SUPPORTED_MINORS: readonly string[] = KUBERNETES_RELEASES.map((r) => r.minor);

/** The etcd minors whose flag dialects kubeforge knows. */
export const SUPPORTED_ETCD_MINORS: readonly EtcdMinor[] = ["3.4", "3.5", "3.6"];

/** No leading zeros: `1.35.02` would name an image tag that does not exist. */
const VERSION_PATTERN = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?$/;

/** Splits `1.34`, `v1.34.2` into minor and optional patch; undefined when malformed. */
export function parseKubernetesVersion(text: string): { minor: string; patch?: string } | undefined {
  const match = VERSION_PATTERN.exec(text);
  if (!match) return undefined;
  const minor = `${match[1]}.${match[2]}`;
  return match[3] === undefined ? { minor } : { minor, patch: `${minor}.${match[3]}` };
}

/** The release entry of a supported minor, or undefined. */
export function findRelease(minor: string): KubernetesRelease | undefined {
  return KUBERNETES_RELEASES.find((r) => r.minor === minor);
}

/** `3.5.24-0` → `3.5`; `3.4.23` → `3.4`; undefined when not an etcd version kubeforge knows. */
export function etcdMinorOf(version: string): EtcdMinor | undefined {
  const match = /^v?(\d+)\.(\d+)\.\d+(?:-\d+)?$/.exec(version);
  if (!match) return undefined;
  const minor = `${match[1]}.${match[2]}`;
  return (SUPPORTED_ETCD_MINORS as readonly string[]).includes(minor) ? (minor as EtcdMinor) : undefined;
}
