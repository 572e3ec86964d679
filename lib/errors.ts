/**
 * Stable error codes. Tests and tools match on the code, never on the wording.
 */
export type ErrorCode =
  | "UNKNOWN_KEY"
  | "INVALID_TYPE"
  | "REQUIRED"
  | "INVALID_VALUE"
  | "INVALID_NAME"
  | "INVALID_ADDRESS"
  | "INVALID_ENDPOINT"
  | "INVALID_LABEL"
  | "INVALID_CIDR"
  | "CIDR_OVERLAP"
  | "ADDRESS_IN_CLUSTER_NETWORK"
  | "SERVICE_CIDR_TOO_SMALL"
  | "SERVICE_CIDR_TOO_LARGE"
  | "POD_CIDR_TOO_SMALL"
  | "NODE_MASK_INVALID"
  | "ETCD_MEMBER_COUNT"
  | "DUPLICATE_NODE_NAME"
  | "DUPLICATE_ADDRESS"
  | "NO_CONTROL_PLANE"
  | "ENDPOINT_REQUIRED"
  | "UNSUPPORTED_VERSION"
  | "UNSUPPORTED_ETCD_VERSION"
  | "ROLE_CONFLICT"
  | "CONFIG_NOT_FOUND"
  | "CONFIG_PARSE"
  | "OUTPUT_DIR"
  | "INVALID_TREE"
  | "NO_PINNED_CHECKSUM"
  | "INVALID_SYSCTL"
  | "SYSCTL_CONFLICT"
  | "INVALID_REGISTRY_MIRROR"
  | "ENDPOINT_NOT_IPV4"
  | "ENDPOINT_PORT_CONFLICT"
  | "CNI_POLICY_UNSUPPORTED"
  | "PROXY_MODE_UNSUPPORTED"
  | "PROXY_MODE_DEPRECATED"
  | "PKI_DIR_IN_DIST"
  | "CA_EXISTS"
  | "PKI_MISSING"
  | "CERT_EXPIRING"
  | "CHAIN_INVALID"
  | "CERT_MISMATCH"
  | "ENCRYPTION_KEY_CONFLICT"
  | "AUDIT_INPUT"
  | "AUDIT_SCORE_TOO_LOW"
  | "UPGRADE_SKIPS_MINOR"
  | "VERSION_DOWNGRADE"
  | "KUBELET_SKEW"
  | "ETCD_VERSION_SKEW"
  | "ETCD_QUORUM_LOSS"
  | "PLAN_INPUT";

/** One problem found in the input: which field, what value, which rule, how to fix it. */
export interface SpecIssue {
  readonly code: ErrorCode;
  /** Path of the offending field, e.g. `nodes[2].address`; empty for the document root. */
  readonly path: string;
  /** The offending value (undefined when the field is missing). */
  readonly value: unknown;
  /** The rule, phrased to follow "must": `be an odd number`. */
  readonly rule: string;
  /** How to fix it, as a full sentence. */
  readonly fix?: string;
}

/** Renders a value for a message: short, single-line, JSON-like. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `'<field>' (<actual>) must <rule>. <how to fix>` */
export function formatIssue(issue: SpecIssue): string {
  const field = issue.path === "" ? "(spec)" : `'${issue.path}'`;
  const fix = issue.fix ? ` ${issue.fix}` : "";
  return `${field} (${describeValue(issue.value)}) must ${issue.rule}.${fix} [${issue.code}]`;
}

/** The single error type of kubeforge: a stable code plus the path of the field at fault. */
export class KubeforgeError extends Error {
  readonly code: ErrorCode;
  readonly path: string;

  constructor(code: ErrorCode, path: string, message: string) {
    super(message);
    this.name = "KubeforgeError";
    this.code = code;
    this.path = path;
  }
}

/** Every problem of a cluster spec, reported at once. */
export class SpecValidationError extends KubeforgeError {
  readonly issues: readonly SpecIssue[];

  constructor(issues: readonly SpecIssue[], source?: string) {
    const first = issues[0];
    if (!first) throw new Error("SpecValidationError needs at least one issue");
    const where = source ? ` in ${source}` : "";
    const lines = issues.map((i) => `  - ${formatIssue(i)}`);
    super(
      first.code,
      first.path,
      `The cluster spec${where} has ${issues.length} problem${issues.length === 1 ? "" : "s"}:\n${lines.join("\n")}`,
    );
    this.name = "SpecValidationError";
    this.issues = issues;
  }

  /** The codes of all issues, in report order. */
  get codes(): ErrorCode[] {
    return this.issues.map((i) => i.code);
  }
}
