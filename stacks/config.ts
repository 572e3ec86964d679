import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type ErrorCode, KubeforgeError, type SpecIssue, SpecValidationError } from "../lib/errors";
import { defaultMaxUnavailable } from "../lib/plan/plan";
import { loadSpecFile } from "../lib/spec/load";
import type { ClusterSpecInput } from "../lib/spec/schema";
import { validateClusterSpec } from "../lib/spec/validate";

/**
 * The stack's configuration (`Pulumi.<stack>.yaml`, namespace `kubeforge`), read and checked in one
 * pass so that every problem is reported at once, with the codes and messages of `kubeforge validate`.
 */

/** The configuration namespace: keys are `kubeforge:spec`, `kubeforge:connection`, … */
export const CONFIG_NAMESPACE = "kubeforge";

/** A jump host between the machine running `pulumi up` and the nodes. */
export interface BastionConfig {
  readonly host: string;
  /** @default the nodes' SSH user */
  readonly user?: string;
  /** @default 22 */
  readonly port?: number;
  /** @default the nodes' private key */
  readonly privateKey?: pulumi.Input<string>;
}

/** How the stack reaches the nodes over SSH. */
export interface ConnectionConfig {
  /** SSH user; it must be root or have password-less sudo. */
  readonly user: string;
  /** @default 22 */
  readonly port: number;
  /** PEM or OpenSSH private key. Set it with `pulumi config set --secret --path kubeforge:connection.privateKey`. */
  readonly privateKey?: pulumi.Input<string>;
  /** Known host keys by node name (`ssh-ed25519 AAAA…`), to pin each host instead of trusting on first use. */
  readonly hostKeys: Readonly<Record<string, string>>;
  readonly bastion?: BastionConfig;
}

/** How changes roll out. */
export interface RolloutConfig {
  /**
   * Workers changed at the same time (one batch); the next batch starts once the previous one is healthy.
   * @default 10% of the workers, at least 1 (see `defaultMaxUnavailable`)
   */
  readonly maxUnavailable?: number;
  /**
   * How long one health gate waits (API /readyz, etcd /health, node Ready) before it fails the update.
   * @default 300
   */
  readonly healthTimeoutSeconds: number;
}

/** `ssh`: the stack writes node files over SSH. `cloud-init`: the stack only outputs user data. */
export type Transport = "ssh" | "cloud-init";

/** The checked stack configuration. */
export interface StackConfig {
  readonly spec: ClusterSpecInput;
  /** Where the spec came from, for messages. */
  readonly source: string;
  readonly transport: Transport;
  /** Absent only with the cloud-init transport (then nothing is gated or applied over SSH). */
  readonly connection?: ConnectionConfig;
  readonly rollout: RolloutConfig;
  /** `kubeforge:previousDist`: the output directory of the running cluster, to check the change against. */
  readonly previousDist?: string;
}

/** Reads one raw config value: `key` without namespace → parsed JSON (structured) or string. */
export type ConfigReader = (key: string) => string | undefined;

const DEFAULT_ROLLOUT: RolloutConfig = { healthTimeoutSeconds: 300 };

export { defaultMaxUnavailable };

function parseValue(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const key = (k: string) => `${CONFIG_NAMESPACE}:${k}`;

function setHint(k: string, example: string, secret = false): string {
  return `Set it with \`pulumi config set ${secret ? "--secret " : ""}--path ${key(k)} ${example}\`.`;
}

/** Checks a structured object: only known fields, each of the right type. */
class ObjectReader {
  constructor(
    private readonly issues: SpecIssue[],
    private readonly at: string,
    private readonly value: Record<string, unknown>,
    known: readonly string[],
  ) {
    for (const k of Object.keys(value)) {
      if (!known.includes(k)) {
        issues.push({
          code: "UNKNOWN_KEY",
          path: `${at}.${k}`,
          value: value[k],
          rule: "not be set: it is not a known field",
          fix: `Known fields here: ${known.join(", ")}.`,
        });
      }
    }
  }

  string(k: string, required: boolean, hint: string): string | undefined {
    const v = this.value[k];
    if (v === undefined && !required) return undefined;
    if (typeof v === "string" && v.trim() !== "") return v;
    this.issues.push({
      code: v === undefined ? "REQUIRED" : "INVALID_TYPE",
      path: `${this.at}.${k}`,
      value: v,
      rule: "be a non-empty string",
      fix: hint,
    });
    return undefined;
  }

  integer(k: string, min: number, max: number): number | undefined {
    const v = this.value[k];
    if (v === undefined) return undefined;
    // Pulumi config set without --path stores numbers as strings; accept those.
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n === "number" && Number.isInteger(n) && n >= min && n <= max) return n;
    this.issues.push({
      code: typeof n === "number" ? "INVALID_VALUE" : "INVALID_TYPE",
      path: `${this.at}.${k}`,
      value: v,
      rule: `be an integer from ${min} to ${max}`,
    });
    return undefined;
  }

  record(k: string): Record<string, unknown> | undefined {
    const v = this.value[k];
    if (v === undefined || isRecord(v)) return v;
    this.issues.push({ code: "INVALID_TYPE", path: `${this.at}.${k}`, value: v, rule: "be a mapping" });
    return undefined;
  }
}

function readConnection(issues: SpecIssue[], raw: unknown, required: boolean): ConnectionConfig | undefined {
  const at = key("connection");
  if (raw === undefined) {
    if (required) {
      issues.push({
        code: "REQUIRED",
        path: at,
        value: undefined,
        rule: "be set for the ssh transport",
        fix: `${setHint("connection.user", "root")} Then set connection.privateKey as a secret.`,
      });
    }
    return undefined;
  }
  if (!isRecord(raw)) {
    issues.push({
      code: "INVALID_TYPE",
      path: at,
      value: raw,
      rule: "be a mapping (user, port, privateKey)",
    });
    return undefined;
  }
  const r = new ObjectReader(issues, at, raw, ["user", "port", "privateKey", "hostKeys", "bastion"]);
  const user = r.string("user", true, setHint("connection.user", "root"));
  const port = r.integer("port", 1, 65535) ?? 22;
  const privateKey = r.string(
    "privateKey",
    false,
    setHint("connection.privateKey", "< ~/.ssh/id_ed25519", true),
  );
  const hostKeysRaw = r.record("hostKeys") ?? {};
  const hostKeys: Record<string, string> = {};
  for (const [node, hostKey] of Object.entries(hostKeysRaw)) {
    if (typeof hostKey === "string" && hostKey !== "") hostKeys[node] = hostKey;
    else {
      issues.push({
        code: "INVALID_TYPE",
        path: `${at}.hostKeys.${node}`,
        value: hostKey,
        rule: "be a host public key such as ssh-ed25519 AAAA…",
      });
    }
  }
  let bastion: BastionConfig | undefined;
  const bastionRaw = r.record("bastion");
  if (bastionRaw) {
    const b = new ObjectReader(issues, `${at}.bastion`, bastionRaw, ["host", "user", "port", "privateKey"]);
    const host = b.string("host", true, setHint("connection.bastion.host", "bastion.example.com"));
    const bUser = b.string("user", false, setHint("connection.bastion.user", "jump"));
    const bPort = b.integer("port", 1, 65535);
    const bKey = b.string("privateKey", false, setHint("connection.bastion.privateKey", "<key>", true));
    if (host) bastion = { host, user: bUser, port: bPort, privateKey: bKey };
  }
  return user ? { user, port, privateKey, hostKeys, bastion } : undefined;
}

function readRollout(issues: SpecIssue[], raw: unknown): RolloutConfig {
  if (raw === undefined) return DEFAULT_ROLLOUT;
  if (!isRecord(raw)) {
    issues.push({ code: "INVALID_TYPE", path: key("rollout"), value: raw, rule: "be a mapping" });
    return DEFAULT_ROLLOUT;
  }
  const r = new ObjectReader(issues, key("rollout"), raw, ["maxUnavailable", "healthTimeoutSeconds"]);
  return {
    maxUnavailable: r.integer("maxUnavailable", 1, 10_000),
    healthTimeoutSeconds:
      r.integer("healthTimeoutSeconds", 10, 86_400) ?? DEFAULT_ROLLOUT.healthTimeoutSeconds,
  };
}

function readTransport(issues: SpecIssue[], raw: unknown): Transport {
  if (raw === undefined || raw === "ssh" || raw === "cloud-init") return raw ?? "ssh";
  issues.push({
    code: "INVALID_VALUE",
    path: key("transport"),
    value: raw,
    rule: 'be "ssh" or "cloud-init"',
  });
  return "ssh";
}

/**
 * Reads and checks the whole stack configuration. The cluster spec comes inline (`kubeforge:spec`) or
 * from a file (`kubeforge:specFile`, relative to `cwd`, the project directory when Pulumi runs).
 * Spec problems carry exactly the codes, paths and messages `kubeforge validate` prints for the same
 * spec; problems of the other keys use the same shape with the config key as the path. All are
 * thrown together in one {@link SpecValidationError}; a missing or unreadable spec file throws the
 * CLI's `CONFIG_NOT_FOUND` / `CONFIG_PARSE` error.
 */
export function readStackConfig(read: ConfigReader, cwd: string = process.cwd()): StackConfig {
  const issues: SpecIssue[] = [];
  const inline = parseValue(read("spec"));
  const specFile = parseValue(read("specFile"));
  let spec: unknown;
  let source: string;
  if (inline !== undefined && specFile !== undefined) {
    issues.push({
      code: "INVALID_VALUE",
      path: key("specFile"),
      value: specFile,
      rule: `not be set together with ${key("spec")}`,
      fix: "Keep one: the inline spec or the path of kubeforge.yaml.",
    });
    source = "the Pulumi stack config";
  } else if (specFile !== undefined) {
    if (typeof specFile !== "string" || specFile === "") {
      issues.push({ code: "INVALID_TYPE", path: key("specFile"), value: specFile, rule: "be a file path" });
      source = "the Pulumi stack config";
    } else {
      spec = loadSpecFile(path.resolve(cwd, specFile));
      source = specFile;
    }
  } else if (inline !== undefined) {
    spec = inline;
    source = `${key("spec")} in the Pulumi stack config`;
  } else {
    issues.push({
      code: "REQUIRED",
      path: key("spec"),
      value: undefined,
      rule: `be set, or ${key("specFile")} must name your kubeforge.yaml`,
      fix: `Run \`pulumi config set ${key("specFile")} kubeforge.yaml\`.`,
    });
    source = "the Pulumi stack config";
  }

  const transport = readTransport(issues, parseValue(read("transport")));
  const connection = readConnection(issues, parseValue(read("connection")), transport === "ssh");
  const rollout = readRollout(issues, parseValue(read("rollout")));
  const previousRaw = parseValue(read("previousDist"));
  let previousDist: string | undefined;
  if (typeof previousRaw === "string" && previousRaw !== "") previousDist = path.resolve(cwd, previousRaw);
  else if (previousRaw !== undefined) {
    issues.push({
      code: "INVALID_TYPE",
      path: key("previousDist"),
      value: previousRaw,
      rule: "be a directory path",
    });
  }

  // Spec issues first, in validate's order, so the report reads like `kubeforge validate`'s.
  const specIssues = spec === undefined ? [] : validateClusterSpec(spec).issues;
  const all = [...specIssues, ...issues];
  if (all.length > 0) throw new SpecValidationError(all, source);
  return { spec: spec as ClusterSpecInput, source, transport, connection, rollout, previousDist };
}

/**
 * A configuration error as Pulumi reports it: a RunError, so `pulumi up` prints the kubeforge
 * message without a JavaScript stack trace. Keeps the kubeforge code(s) for tools and tests.
 */
export class StackConfigError extends pulumi.RunError {
  /** The first problem's code, as on {@link KubeforgeError}. */
  readonly code: ErrorCode;
  /** Every problem's code, in report order. */
  readonly codes: readonly ErrorCode[];

  constructor(cause: KubeforgeError) {
    super(cause.message);
    this.name = "StackConfigError";
    this.code = cause.code;
    this.codes = cause instanceof SpecValidationError ? cause.codes : [cause.code];
  }
}

/** Reads the running stack's `kubeforge:*` configuration; kubeforge errors become {@link StackConfigError}s. */
export function loadStackConfig(cwd: string = process.cwd()): StackConfig {
  try {
    return readStackConfig((k) => pulumi.runtime.getConfig(`${CONFIG_NAMESPACE}:${k}`), cwd);
  } catch (e) {
    if (e instanceof KubeforgeError) throw new StackConfigError(e);
    throw e;
  }
}
