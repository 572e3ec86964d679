import type { z } from "zod";
import type { SpecIssue } from "../errors";
import { KUBELET_KERNEL_DEFAULTS } from "../networking/host-networking";
import { isIpv4 } from "../private/cidr";
import { kubernetesBinaryDigests, pinnedKubernetesVersions } from "../worker/checksums";
import { API_SERVER_PORT } from "./model";
import {
  ContainerdSchema,
  type EndpointSchema,
  LoadBalancerSchema,
  type NetworkingSchema,
  type NodeSpec,
} from "./schema";

/** The parsed sections the node-runtime rules need; a section that did not parse is undefined. */
export interface NodeRuntimeSections {
  /** The raw spec root (for the sections validate.ts does not parse itself). */
  readonly root: Readonly<Record<string, unknown>>;
  readonly networking?: z.output<typeof NetworkingSchema>;
  readonly nodes: readonly (NodeSpec | undefined)[];
  readonly endpoint?: z.output<typeof EndpointSchema>;
  /** The resolved Kubernetes version, e.g. `1.35.1`; undefined when it did not resolve. */
  readonly kubernetesVersion?: string;
}

/** A sysctl name: dot-separated segments of lowercase letters, digits, '_' and '-'. */
const SYSCTL_KEY = /^[a-z0-9_]+(\.[a-z0-9_-]+)+$/;
/** A registry host as containerd's certs.d names it: a DNS name or address, optional port. */
const REGISTRY_HOST = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/;
/** A lowercase DNS name, as validate.ts accepts for the endpoint. */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A Linux interface name (IFNAMSIZ 16 including the terminator). */
const INTERFACE_NAME = /^[A-Za-z0-9_.:-]{1,15}$/;

function sectionOf<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const result = schema.safeParse(value ?? {});
  return result.success ? result.data : undefined;
}

function checkSysctls(net: z.output<typeof NetworkingSchema>, issues: SpecIssue[]): void {
  for (const [key, value] of Object.entries(net.sysctls)) {
    const path = `networking.sysctls.${key}`;
    const text = String(value);
    if (!SYSCTL_KEY.test(key)) {
      issues.push({
        code: "INVALID_SYSCTL",
        path,
        value: key,
        rule: "be a kernel parameter name: dot-separated lowercase segments, e.g. net.core.somaxconn",
        fix: "Use the name `sysctl -a` prints for the parameter.",
      });
    } else if (text.trim() === "" || /[\r\n#;]/.test(text)) {
      issues.push({
        code: "INVALID_SYSCTL",
        path,
        value,
        rule: "be a non-empty single-line value",
        fix: "Write the value as sysctl prints it, e.g. 32768.",
      });
    } else if (Object.hasOwn(KUBELET_KERNEL_DEFAULTS, key) && text !== String(KUBELET_KERNEL_DEFAULTS[key])) {
      issues.push({
        code: "SYSCTL_CONFLICT",
        path,
        value,
        rule: `be ${String(KUBELET_KERNEL_DEFAULTS[key])}: the kubelet runs with protectKernelDefaults and refuses to start otherwise`,
        fix: "Remove the override.",
      });
    }
  }
}

function checkMirrors(root: Readonly<Record<string, unknown>>, issues: SpecIssue[]): void {
  const containerd = sectionOf(ContainerdSchema, root.containerd);
  if (!containerd) return;
  for (const [host, mirrors] of Object.entries(containerd.registryMirrors)) {
    if (!REGISTRY_HOST.test(host)) {
      issues.push({
        code: "INVALID_REGISTRY_MIRROR",
        path: `containerd.registryMirrors.${host}`,
        value: host,
        rule: "be keyed by a registry host such as docker.io or registry.example.internal:5000",
        fix: "Use the registry's host name without scheme or path.",
      });
    }
    mirrors.forEach((mirror, i) => {
      let ok = false;
      try {
        const url = new URL(mirror);
        ok =
          (url.protocol === "https:" || url.protocol === "http:") &&
          url.hostname !== "" &&
          !/\s/.test(mirror);
      } catch {
        ok = false;
      }
      if (!ok) {
        issues.push({
          code: "INVALID_REGISTRY_MIRROR",
          path: `containerd.registryMirrors.${host}[${i}]`,
          value: mirror,
          rule: "be an http(s) URL",
          fix: "Example: https://mirror.example.internal.",
        });
      }
    });
  }
}

function checkEndpointProvider(s: NodeRuntimeSections, issues: SpecIssue[]): void {
  const cp = s.root.controlPlane;
  const lb = sectionOf(
    LoadBalancerSchema,
    cp && typeof cp === "object" ? (cp as Record<string, unknown>).loadBalancer : undefined,
  );
  if (!lb) return;
  if (!INTERFACE_NAME.test(lb.interface)) {
    issues.push({
      code: "INVALID_VALUE",
      path: "controlPlane.loadBalancer.interface",
      value: lb.interface,
      rule: "be a network interface name of at most 15 characters",
      fix: "Use the name `ip link` shows, e.g. eth0.",
    });
  }
  const cpCount = s.nodes.filter((n) => n?.roles.includes("control-plane")).length;
  if (cpCount < 2 || lb.provider === "external" || !s.endpoint) return;
  const { host, port } = s.endpoint;
  // A host that is neither an address nor a valid DNS name is already INVALID_ENDPOINT.
  if (!isIpv4(host) && DNS_NAME.test(host) && !/^[\d.]+$/.test(host)) {
    issues.push({
      code: "ENDPOINT_NOT_IPV4",
      path: "controlPlane.endpoint.host",
      value: host,
      rule: `be an IPv4 address when controlPlane.loadBalancer.provider is ${lb.provider}: it becomes the virtual IP`,
      fix: 'Use a free address on the nodes\' network, or set controlPlane.loadBalancer.provider to "external".',
    });
  }
  if (lb.provider === "haproxy-keepalived" && port === API_SERVER_PORT) {
    issues.push({
      code: "ENDPOINT_PORT_CONFLICT",
      path: "controlPlane.endpoint.port",
      value: port,
      rule: `differ from ${API_SERVER_PORT} with haproxy-keepalived: haproxy listens on the control-plane nodes, where the API server holds ${API_SERVER_PORT}`,
      fix: "Use 8443.",
    });
  }
  if (lb.provider === "kube-vip" && port !== API_SERVER_PORT) {
    issues.push({
      code: "ENDPOINT_PORT_CONFLICT",
      path: "controlPlane.endpoint.port",
      value: port,
      rule: `be ${API_SERVER_PORT} with kube-vip: the virtual IP forwards no ports, so clients reach the API servers' own port`,
      fix: `Use ${API_SERVER_PORT}, or choose haproxy-keepalived for another port.`,
    });
  }
}

/**
 * The selected patch must have pinned kubelet/kubectl digests: the node bootstrap installs only
 * verified binaries. Every default patch of the version table is pinned (a test holds it to that).
 */
function checkPinnedChecksums(version: string | undefined, issues: SpecIssue[]): void {
  if (version === undefined || kubernetesBinaryDigests(version)) return;
  issues.push({
    code: "NO_PINNED_CHECKSUM",
    path: "kubernetesVersion",
    value: version,
    rule: "be a version whose kubelet and kubectl checksums kubeforge pins: the node bootstrap installs only verified binaries",
    fix: `Use one of ${pinnedKubernetesVersions().join(", ")}, or add the release's published SHA-256 digests to lib/worker/checksums.ts.`,
  });
}

/**
 * Rules of the node runtime (containerd, kubelet, host networking, HA endpoint, bootstrap),
 * appended to `issues`. Each rule runs only on sections that parsed.
 */
export function checkNodeRuntime(s: NodeRuntimeSections, issues: SpecIssue[]): void {
  if (s.networking) checkSysctls(s.networking, issues);
  checkMirrors(s.root, issues);
  checkEndpointProvider(s, issues);
  checkPinnedChecksums(s.kubernetesVersion, issues);
}
