import type { z } from "zod";
import { type ErrorCode, type SpecIssue, SpecValidationError } from "../errors";
import { cidrContains, cidrsOverlap, formatCidr, type Ipv4Cidr, isIpv4, parseCidr } from "../private/cidr";
import { didYouMean } from "../private/suggest";
import {
  type ClusterSpecParsed,
  ClusterSpecSchema,
  DNS_LABEL,
  EndpointSchema,
  EtcdSchema,
  NetworkingSchema,
  NodeSchema,
  type NodeSpec,
} from "./schema";
import { checkAddons } from "./validate-addons";
import { checkNodeRuntime } from "./validate-nodes";
import {
  type EtcdMinor,
  etcdMinorOf,
  findRelease,
  type KubernetesRelease,
  parseKubernetesVersion,
  SUPPORTED_ETCD_MINORS,
  SUPPORTED_MINORS,
} from "./versions";

/** A structurally and semantically valid spec, with defaults applied and versions resolved. */
export interface ClusterSpec extends Omit<ClusterSpecParsed, "kubernetesVersion"> {
  /** The full Kubernetes version, e.g. `1.34.2`. */
  readonly kubernetesVersion: string;
  /** The version-table entry of the selected minor. */
  readonly release: KubernetesRelease;
  /** The etcd image tag in use (the release's, or the spec's override). */
  readonly etcdVersion: string;
  /** The etcd minor, which selects etcd's flag dialect. */
  readonly etcdMinor: EtcdMinor;
}

export interface ValidationResult {
  readonly spec?: ClusterSpec;
  readonly issues: readonly SpecIssue[];
}

type Path = readonly PropertyKey[];

/** A key that reads unambiguously after a dot; others (label keys like `node.kubernetes.io/x`) are quoted. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `["nodes", 2, "address"]` → `nodes[2].address`; `["labels", "a.b/c"]` → `labels["a.b/c"]` */
export function formatPath(path: Path): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (!PLAIN_KEY.test(String(part))) out += `[${JSON.stringify(String(part))}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

function valueAt(root: unknown, path: Path): unknown {
  let current: unknown = root;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[part as string];
  }
  return current;
}

/** Walks the zod schema to the object at `path` and returns its keys (for "did you mean"). */
function knownKeysAt(path: Path): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definition tree
  let schema: any = ClusterSpecSchema;
  const unwrap = () => {
    while (schema?._zod?.def?.innerType) schema = schema._zod.def.innerType;
  };
  unwrap();
  for (const part of path) {
    if (typeof part === "number") schema = schema?._zod?.def?.element;
    else schema = schema?._zod?.def?.shape?.[part];
    unwrap();
  }
  const shape = schema?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  // "be a number, not a number" would hide the reason: say which special number it is.
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}

/** zod's `expected` (`array`, `object`, `int`, …) in the spec's vocabulary, with its article. */
function expectedName(expected: string): string {
  if (expected === "array") return "a list";
  if (expected === "object") return "a mapping";
  // zod reports a non-integer for `.int()` as expecting "int".
  if (expected === "int") return "an integer";
  return `a ${expected}`;
}

/** Maps zod's structural issues to kubeforge issues. */
function structuralIssues(raw: unknown, error: z.ZodError): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const zi of error.issues) {
    const path = formatPath(zi.path);
    const value = valueAt(raw, zi.path);
    switch (zi.code) {
      case "unrecognized_keys": {
        const known = knownKeysAt(zi.path);
        for (const key of zi.keys) {
          const guess = didYouMean(key, known);
          issues.push({
            code: "UNKNOWN_KEY",
            path: formatPath([...zi.path, key]),
            value: valueAt(raw, [...zi.path, key]),
            rule: "not be set: it is not a known field",
            fix: guess ? `Did you mean '${guess}'?` : `Known fields here: ${known.join(", ")}.`,
          });
        }
        break;
      }
      case "invalid_type":
        issues.push(
          value === undefined
            ? { code: "REQUIRED", path, value, rule: `be set (${zi.expected})`, fix: "Add the field." }
            : {
                code: "INVALID_TYPE",
                path,
                value,
                rule: `be ${expectedName(zi.expected)}, not ${typeName(value)}`,
                // YAML reads `kubernetesVersion: 1.30` as the number 1.3: the usual cause of this one.
                fix:
                  zi.expected === "string" && (typeof value === "number" || typeof value === "boolean")
                    ? 'Put the value in quotes so YAML reads it as text, e.g. kubernetesVersion: "1.35".'
                    : undefined,
              },
        );
        break;
      case "invalid_value": {
        const options = zi.values.map(String);
        // zod reports a missing enum field as a wrong value; to the user it is a missing field.
        if (value === undefined) {
          issues.push({
            code: "REQUIRED",
            path,
            value,
            rule: `be set to one of ${options.join(", ")}`,
            fix: "Add the field.",
          });
          break;
        }
        const guess = typeof value === "string" ? didYouMean(value, options) : undefined;
        issues.push({
          code: "INVALID_VALUE",
          path,
          value,
          rule: `be one of ${options.join(", ")}`,
          fix: guess ? `Did you mean '${guess}'?` : undefined,
        });
        break;
      }
      case "invalid_format":
        issues.push({
          code: zi.format === "ipv4" ? "INVALID_ADDRESS" : "INVALID_VALUE",
          path,
          value,
          rule:
            zi.format === "ipv4" ? "be an IPv4 address such as 192.0.2.11" : `match the ${zi.format} format`,
        });
        break;
      case "too_small":
      case "too_big": {
        const bound = zi.code === "too_small" ? "at least" : "at most";
        const what = zi.origin === "array" ? " item(s)" : zi.origin === "string" ? " character(s)" : "";
        issues.push({
          code: "INVALID_VALUE",
          path,
          value,
          rule: `be ${bound} ${String(zi.code === "too_small" ? zi.minimum : zi.maximum)}${what}`,
        });
        break;
      }
      default:
        issues.push({ code: "INVALID_VALUE", path, value, rule: `be valid (${zi.message})` });
    }
  }
  return issues;
}

class IssueList {
  readonly items: SpecIssue[] = [];
  add(code: ErrorCode, path: string, value: unknown, rule: string, fix?: string): void {
    this.items.push({ code, path, value, rule, fix });
  }
}

function checkName(name: unknown, issues: IssueList): void {
  if (typeof name === "string" && (!DNS_LABEL.test(name) || name.length > 63)) {
    issues.add(
      "INVALID_NAME",
      "name",
      name,
      "be a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
      `Try '${slug(name)}'.`,
    );
  }
}

function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  return s === "" ? "cluster" : s;
}

function checkVersion(
  raw: unknown,
  issues: IssueList,
): { release: KubernetesRelease; version: string } | undefined {
  const newest = findRelease(SUPPORTED_MINORS[0] ?? "");
  if (!newest) throw new Error("internal: empty version table");
  if (raw === undefined) return { release: newest, version: newest.defaultPatch };
  if (typeof raw !== "string") return undefined;
  const parsed = parseKubernetesVersion(raw);
  const release = parsed ? findRelease(parsed.minor) : undefined;
  if (!parsed || !release) {
    issues.add(
      "UNSUPPORTED_VERSION",
      "kubernetesVersion",
      raw,
      `be a supported Kubernetes version (${SUPPORTED_MINORS.join(", ")}), as MINOR or MINOR.PATCH`,
      `Use "${newest.minor}" for the newest.`,
    );
    return undefined;
  }
  return { release, version: parsed.patch ?? release.defaultPatch };
}

interface Networks {
  pod?: Ipv4Cidr;
  service?: Ipv4Cidr;
}

function checkCidr(path: string, value: string, issues: IssueList): Ipv4Cidr | undefined {
  const parsed = parseCidr(value);
  if (parsed.ok) return parsed.cidr;
  const rule =
    parsed.reason === "ipv6"
      ? "be an IPv4 CIDR (IPv6 is not supported yet)"
      : parsed.reason === "host-bits"
        ? "be a network address with the host bits zero"
        : "be an IPv4 CIDR block such as 10.96.0.0/12";
  issues.add(
    "INVALID_CIDR",
    path,
    value,
    rule,
    parsed.suggestion ? `Did you mean ${parsed.suggestion}?` : undefined,
  );
  return undefined;
}

function checkNetworking(net: z.output<typeof NetworkingSchema>, issues: IssueList): Networks {
  const pod = checkCidr("networking.podCIDR", net.podCIDR, issues);
  const service = checkCidr("networking.serviceCIDR", net.serviceCIDR, issues);
  if (service) {
    if (service.prefix < 12) {
      issues.add(
        "SERVICE_CIDR_TOO_LARGE",
        "networking.serviceCIDR",
        net.serviceCIDR,
        "be /12 or smaller: the API server allocates service IPs from a bitmap of at most 2^20 addresses",
        "Use a /12 to /24 block, e.g. 10.96.0.0/12.",
      );
    }
    if (service.prefix > 28) {
      issues.add(
        "SERVICE_CIDR_TOO_SMALL",
        "networking.serviceCIDR",
        net.serviceCIDR,
        "hold at least 16 addresses (/28): the 1st address is the kubernetes Service, the 10th cluster DNS",
        "Use a /12 to /24 block, e.g. 10.96.0.0/12.",
      );
    }
  }
  if (pod && pod.prefix > 28) {
    issues.add(
      "POD_CIDR_TOO_SMALL",
      "networking.podCIDR",
      net.podCIDR,
      "hold at least 16 addresses (/28)",
      "Use a /16, e.g. 10.244.0.0/16.",
    );
  }
  if (pod && service && cidrsOverlap(pod, service)) {
    issues.add(
      "CIDR_OVERLAP",
      "networking.serviceCIDR",
      net.serviceCIDR,
      `not overlap the pod network ${formatCidr(pod)}`,
      "Pick disjoint blocks, e.g. pods 10.244.0.0/16 and services 10.96.0.0/12.",
    );
  }
  if (pod) {
    const mask = net.nodeCIDRMaskSize;
    if (mask <= pod.prefix || mask > 30 || mask - pod.prefix > 16) {
      const lo = pod.prefix + 1;
      const hi = Math.min(30, pod.prefix + 16);
      issues.add(
        "NODE_MASK_INVALID",
        "networking.nodeCIDRMaskSize",
        mask,
        `fit the pod network ${formatCidr(pod)}: be longer than /${pod.prefix}, at most 16 bits longer, and at most /30`,
        lo <= hi
          ? `Use a value from ${lo} to ${hi}, e.g. ${Math.min(hi, Math.max(lo, 24))}.`
          : "Use a larger pod network.",
      );
    }
  }
  if (!DNS_SUBDOMAIN.test(net.dnsDomain)) {
    issues.add(
      "INVALID_NAME",
      "networking.dnsDomain",
      net.dnsDomain,
      "be a DNS domain of lowercase labels separated by dots",
      'Use "cluster.local".',
    );
  }
  return { pod, service };
}

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function isQualifiedName(key: string): boolean {
  const parts = key.split("/");
  if (parts.length > 2) return false;
  const name = parts.length === 2 ? (parts[1] ?? "") : key;
  const prefix = parts.length === 2 ? parts[0] : undefined;
  if (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

function isLabelValue(value: string): boolean {
  return value === "" || (value.length <= 63 && LABEL_NAME.test(value));
}

function checkNodes(nodes: (NodeSpec | undefined)[], net: Networks, issues: IssueList): void {
  const names = new Map<string, number>();
  const addresses = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (!node) return;
    const at = `nodes[${i}]`;
    if (!DNS_LABEL.test(node.name) || node.name.length > 63) {
      issues.add(
        "INVALID_NAME",
        `${at}.name`,
        node.name,
        "be a DNS label: at most 63 lowercase letters, digits and '-'",
        `Try '${slug(node.name)}'.`,
      );
    }
    const firstName = names.get(node.name);
    if (firstName !== undefined) {
      issues.add(
        "DUPLICATE_NODE_NAME",
        `${at}.name`,
        node.name,
        `be unique (nodes[${firstName}] has it too)`,
        "Rename one of the nodes.",
      );
    } else names.set(node.name, i);
    for (const [field, address] of [
      ["address", node.address],
      ["externalAddress", node.externalAddress],
    ] as const) {
      if (address === undefined) continue;
      const first = addresses.get(address);
      if (first !== undefined) {
        issues.add(
          "DUPLICATE_ADDRESS",
          `${at}.${field}`,
          address,
          first === i ? "differ from the node's address" : `be unique (nodes[${first}] has it too)`,
          first === i ? "Leave externalAddress out when it is the same." : "Give every node its own address.",
        );
      } else addresses.set(address, i);
      for (const [label, block] of [
        ["pod", net.pod],
        ["service", net.service],
      ] as const) {
        if (block && cidrContains(block, address)) {
          issues.add(
            "ADDRESS_IN_CLUSTER_NETWORK",
            `${at}.${field}`,
            address,
            `lie outside the ${label} network ${formatCidr(block)}`,
            `Move the ${label} network (networking.${label}CIDR) or the node.`,
          );
        }
      }
    }
    const roles = new Set(node.roles);
    if (roles.size !== node.roles.length) {
      issues.add(
        "INVALID_VALUE",
        `${at}.roles`,
        node.roles,
        "list each role once",
        "Remove the repeated role.",
      );
    }
    for (const [key, value] of Object.entries(node.labels)) {
      if (!isQualifiedName(key) || !isLabelValue(value)) {
        issues.add(
          "INVALID_LABEL",
          formatPath(["nodes", i, "labels", key]),
          value,
          "be a valid label: a qualified key (optional DNS prefix, '/', name of at most 63 characters) and a value of at most 63 alphanumerics, '-', '_' or '.'",
          "See https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set.",
        );
      }
    }
    node.taints.forEach((taint, t) => {
      if (!isQualifiedName(taint.key) || (taint.value !== undefined && !isLabelValue(taint.value))) {
        issues.add(
          "INVALID_LABEL",
          `${at}.taints[${t}]`,
          taint,
          "have a qualified key and a value of at most 63 alphanumerics, '-', '_' or '.'",
          'Example: { key: "dedicated", value: "gpu", effect: "NoSchedule" }.',
        );
      }
    });
  });
}

function checkTopology(
  nodes: (NodeSpec | undefined)[],
  etcd: z.output<typeof EtcdSchema> | undefined,
  issues: IssueList,
): void {
  const known = nodes.filter((n): n is NodeSpec => n !== undefined);
  if (known.length !== nodes.length) return; // a node did not parse; counts would mislead
  const controlPlane = known.filter((n) => n.roles.includes("control-plane"));
  if (controlPlane.length === 0) {
    issues.add(
      "NO_CONTROL_PLANE",
      "nodes",
      known.map((n) => n.name),
      "include at least one node with the control-plane role",
      'Add "control-plane" to the roles of one, three or five nodes.',
    );
  }
  if (!etcd) return;
  let members: NodeSpec[];
  if (etcd.topology === "stacked") {
    known.forEach((n, i) => {
      if (n.roles.includes("etcd") && !n.roles.includes("control-plane")) {
        issues.add(
          "ROLE_CONFLICT",
          `nodes[${i}].roles`,
          n.roles,
          "not hold the etcd role without control-plane in the stacked etcd topology",
          'Set etcd.topology to "external", or add the control-plane role.',
        );
      }
    });
    members = controlPlane;
  } else {
    known.forEach((n, i) => {
      if (n.roles.includes("etcd") && n.roles.includes("control-plane")) {
        issues.add(
          "ROLE_CONFLICT",
          `nodes[${i}].roles`,
          n.roles,
          "not combine etcd and control-plane in the external etcd topology",
          'Set etcd.topology to "stacked", or give etcd its own nodes.',
        );
      }
    });
    members = known.filter((n) => n.roles.includes("etcd"));
  }
  const count = members.length;
  if (count > 0 || etcd.topology === "external") {
    if (![1, 3, 5, 7].includes(count)) {
      issues.add(
        "ETCD_MEMBER_COUNT",
        "nodes",
        count,
        "be 1, 3, 5 or 7 etcd members: an odd count keeps quorum with the fewest hosts",
        etcd.topology === "stacked"
          ? "Use 1, 3 or 5 control-plane nodes."
          : "Give the etcd role to 1, 3 or 5 nodes.",
      );
    }
  }
}

function checkEtcdVersion(etcd: z.output<typeof EtcdSchema>, issues: IssueList): EtcdMinor | undefined {
  if (etcd.version === undefined) return undefined;
  const minor = etcdMinorOf(etcd.version);
  if (!minor) {
    issues.add(
      "UNSUPPORTED_ETCD_VERSION",
      "etcd.version",
      etcd.version,
      `be an etcd version of a supported minor (${SUPPORTED_ETCD_MINORS.join(", ")}), like 3.5.24-0`,
      "Remove it to use the Kubernetes version's etcd.",
    );
  }
  return minor;
}

function checkEndpoint(
  endpoint: z.output<typeof EndpointSchema> | undefined,
  nodes: (NodeSpec | undefined)[],
  net: Networks,
  issues: IssueList,
): void {
  const cpCount = nodes.filter((n) => n?.roles.includes("control-plane")).length;
  if (!endpoint) {
    if (cpCount > 1) {
      issues.add(
        "ENDPOINT_REQUIRED",
        "controlPlane.endpoint",
        undefined,
        `be set when there is more than one control-plane node (${cpCount})`,
        "Add controlPlane.endpoint.host: a virtual IP or a DNS name that reaches every API server.",
      );
    }
    return;
  }
  const host = endpoint.host;
  if (isIpv4(host)) {
    for (const [label, block] of [
      ["pod", net.pod],
      ["service", net.service],
    ] as const) {
      if (block && cidrContains(block, host)) {
        issues.add(
          "ADDRESS_IN_CLUSTER_NETWORK",
          "controlPlane.endpoint.host",
          host,
          `lie outside the ${label} network ${formatCidr(block)}`,
          "Use an address on the nodes' network.",
        );
      }
    }
    if (cpCount > 1 && nodes.some((n) => n?.address === host)) {
      issues.add(
        "INVALID_ENDPOINT",
        "controlPlane.endpoint.host",
        host,
        "not be one node's address when there are several control-plane nodes: that node would be a single point of failure",
        "Use a free virtual IP or a DNS name for the endpoint.",
      );
    }
  } else if (!DNS_SUBDOMAIN.test(host) || /^[\d.]+$/.test(host)) {
    issues.add(
      "INVALID_ENDPOINT",
      "controlPlane.endpoint.host",
      host,
      "be an IPv4 address or a lowercase DNS name",
      "Example: api.k8s.example.internal or 192.0.2.10.",
    );
  }
}

function sectionOf<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

/**
 * Validates a cluster spec and reports every problem at once. Structural problems come from the
 * schema; the cross-field rules run on every section that parsed, so one typo does not hide the rest.
 */
export function validateClusterSpec(raw: unknown): ValidationResult {
  const issues = new IssueList();
  const parsed = ClusterSpecSchema.safeParse(raw);
  const structural = parsed.success ? [] : structuralIssues(raw, parsed.error);
  const root = (raw !== null && typeof raw === "object" ? raw : {}) as Record<string, unknown>;

  checkName(root.name, issues);
  const version = checkVersion(root.kubernetesVersion, issues);
  const network = sectionOf(NetworkingSchema, root.networking ?? {});
  const nets = network ? checkNetworking(network, issues) : {};
  const rawNodes = Array.isArray(root.nodes) ? root.nodes : [];
  const nodes = rawNodes.map((n) => sectionOf(NodeSchema, n));
  checkNodes(nodes, nets, issues);
  const etcd = sectionOf(EtcdSchema, root.etcd ?? {});
  if (Array.isArray(root.nodes)) checkTopology(nodes, etcd, issues);
  const etcdMinorOverride = etcd ? checkEtcdVersion(etcd, issues) : undefined;
  const cp = root.controlPlane as Record<string, unknown> | undefined;
  const endpoint =
    cp && typeof cp === "object" && cp.endpoint !== undefined
      ? sectionOf(EndpointSchema, cp.endpoint)
      : undefined;
  if (!(cp && typeof cp === "object" && cp.endpoint !== undefined && !endpoint)) {
    checkEndpoint(endpoint, nodes, nets, issues);
  }
  checkAddons({ networking: network, minor: version?.release.minor }, (i) => issues.items.push(i));
  checkNodeRuntime(
    { root, networking: network, nodes, endpoint, kubernetesVersion: version?.version },
    issues.items,
  );

  const all = [...structural, ...issues.items];
  if (all.length > 0 || !parsed.success || !version) return { issues: all };
  const data = parsed.data;
  const etcdVersion = data.etcd.version ?? version.release.etcd;
  const etcdMinor = etcdMinorOverride ?? etcdMinorOf(etcdVersion);
  if (!etcdMinor) throw new Error(`internal: version table has unknown etcd ${etcdVersion}`);
  return {
    issues: [],
    spec: { ...data, kubernetesVersion: version.version, release: version.release, etcdVersion, etcdMinor },
  };
}

/** Validates and resolves a spec, throwing a {@link SpecValidationError} listing every problem. */
export function resolveClusterSpec(raw: unknown, source?: string): ClusterSpec {
  const result = validateClusterSpec(raw);
  if (!result.spec) throw new SpecValidationError(result.issues, source);
  return result.spec;
}
