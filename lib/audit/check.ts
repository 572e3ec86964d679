import { parse } from "yaml";
import { MANIFESTS_DIR } from "../paths";
import { formatMode } from "../private/format";
import type { ApiObject, AuditFile, AuditNode, AuditTree } from "./tree";

/** The outcome of one check. NOT_DECIDABLE: the synthesized output cannot tell (the reason says why). */
export type CheckStatus = "PASS" | "FAIL" | "NOT_DECIDABLE";

/** A status with the evidence for it. */
export interface Verdict {
  readonly status: CheckStatus;
  readonly reason: string;
}

/** One benchmark recommendation, implemented against synthesized output. */
export interface CheckDefinition {
  /** The benchmark's number, e.g. `1.2.15`. */
  readonly id: string;
  /** The recommendation, in short. */
  readonly title: string;
  /** The benchmark marks it Automated (scored) rather than Manual. */
  readonly automated: boolean;
  readonly evaluate: (ctx: AuditContext) => Verdict;
}

/** A verdict for each outcome. */
export const pass = (reason: string): Verdict => ({ status: "PASS", reason });
export const fail = (reason: string): Verdict => ({ status: "FAIL", reason });
export const undecidable = (reason: string): Verdict => ({ status: "NOT_DECIDABLE", reason });

/** `0o640` → `"0640"`. */
export const octal = formatMode;

/** True when `mode` grants nothing beyond `max` (the benchmark's "or more restrictive"). */
export function withinMode(mode: number, max: number): boolean {
  return (mode & ~max & 0o7777) === 0;
}

/** Flags of a command line: `--key=value` and bare `--key` (true). Later occurrences win, as in Go's flag parsing. */
export function parseFlags(args: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const arg of args) {
    const match = /^--?([A-Za-z0-9][-A-Za-z0-9_.]*)(?:=(.*))?$/.exec(arg);
    if (match?.[1]) flags.set(match[1], match[2] ?? "true");
  }
  return flags;
}

/** A static pod's first container, parsed. */
export interface StaticPod {
  readonly file: AuditFile;
  readonly manifest: Record<string, unknown>;
  readonly flags: Map<string, string>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** The kubelet of one node: its config file (if any), unit files and command-line flags. */
export interface Kubelet {
  readonly configFile?: AuditFile;
  readonly config?: Record<string, unknown>;
  readonly unitFiles: readonly AuditFile[];
  readonly flags: Map<string, string>;
}

/** Where kubeadm and kubeforge put the kubelet's configuration file. */
export const KUBELET_CONFIG_PATH = "/var/lib/kubelet/config.yaml";

function isKubeletUnit(p: string): boolean {
  return /^\/(etc|usr\/lib|lib)\/systemd\/system\/kubelet\.service(\.d\/[^/]+\.conf)?$/.test(p);
}

/** Reads a value at a dotted path of a parsed document. */
export function at(doc: unknown, dotted: string): unknown {
  let cur: unknown = doc;
  for (const key of dotted.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Everything a check reads, with parsing done once. */
export class AuditContext {
  readonly tree: AuditTree;
  private readonly docs = new Map<string, unknown>();

  constructor(tree: AuditTree) {
    this.tree = tree;
  }

  /** A node file's parsed YAML, or undefined when absent or unparsable. */
  yamlOf(node: AuditNode, path: string): unknown {
    const key = `${node.name}\u0000${path}`;
    if (!this.docs.has(key)) {
      const content = node.files.get(path)?.content;
      let doc: unknown;
      try {
        doc = content === undefined ? undefined : parse(content);
      } catch {
        doc = undefined;
      }
      this.docs.set(key, doc);
    }
    return this.docs.get(key);
  }

  /** The static pod `name` on a node (from /etc/kubernetes/manifests/<name>.yaml). */
  staticPod(node: AuditNode, name: string): StaticPod | undefined {
    const path = `${MANIFESTS_DIR}/${name}.yaml`;
    const file = node.files.get(path);
    const manifest = this.yamlOf(node, path) as Record<string, unknown> | undefined;
    if (!file || !manifest) return undefined;
    const container = (at(manifest, "spec.containers") as Record<string, unknown>[] | undefined)?.[0];
    const args = [
      ...((container?.command as string[] | undefined) ?? []),
      ...((container?.args as string[] | undefined) ?? []),
    ];
    const annotations = (at(manifest, "metadata.annotations") ?? {}) as Record<string, string>;
    return { file, manifest, flags: parseFlags(args), annotations };
  }

  /** Nodes whose manifests run `name` as a static pod. */
  nodesRunning(name: string): AuditNode[] {
    return this.tree.nodes.filter((n) => n.files.has(`${MANIFESTS_DIR}/${name}.yaml`));
  }

  /** The kubelet of a node. Flags come from `--key=value` words in its systemd unit and drop-ins. */
  kubelet(node: AuditNode): Kubelet {
    const unitFiles = [...node.files.values()].filter((f) => isKubeletUnit(f.path));
    const words = unitFiles.flatMap((f) =>
      (f.content ?? "")
        .split("\n")
        .filter((l) => !l.trimStart().startsWith("#"))
        .flatMap((l) => l.split(/[\s"']+/)),
    );
    const configFile = node.files.get(KUBELET_CONFIG_PATH);
    const config = this.yamlOf(node, KUBELET_CONFIG_PATH) as Record<string, unknown> | undefined;
    return { configFile, config, unitFiles, flags: parseFlags(words) };
  }

  /** Cluster objects of a kind. */
  objectsOfKind(...kinds: string[]): ApiObject[] {
    return this.tree.objects.filter((o) => kinds.includes(String(o.kind)));
  }
}

/**
 * Runs a per-node evaluation and folds it into one verdict: FAIL if any node fails (each failing
 * node named), else NOT_DECIDABLE if any node cannot tell, else PASS. No nodes: NOT_DECIDABLE.
 */
export function acrossNodes(
  nodes: readonly AuditNode[],
  none: string,
  evaluate: (node: AuditNode) => Verdict,
): Verdict {
  if (nodes.length === 0) return undecidable(none);
  const byStatus = new Map<string, Map<string, string[]>>();
  for (const node of nodes) {
    const v = evaluate(node);
    const reasons = byStatus.get(v.status) ?? new Map<string, string[]>();
    reasons.set(v.reason, [...(reasons.get(v.reason) ?? []), node.name]);
    byStatus.set(v.status, reasons);
  }
  const fold = (status: string): string =>
    [...(byStatus.get(status) ?? new Map<string, string[]>())]
      .map(([reason, names]) => `${names.join(", ")}: ${reason}`)
      .join("; ");
  if (byStatus.has("FAIL")) return fail(fold("FAIL"));
  if (byStatus.has("NOT_DECIDABLE")) return undecidable(fold("NOT_DECIDABLE"));
  const passes = byStatus.get("PASS") ?? new Map<string, string[]>();
  return pass(passes.size === 1 ? `${[...passes.keys()][0]} (${nodes.length} nodes)` : fold("PASS"));
}

/** A file's recorded mode and owner against a maximum mode and root:root. */
export function fileVerdict(
  file: AuditFile | undefined,
  path: string,
  aspect: "mode" | "owner",
  maxMode = 0o600,
  owner = "root:root",
): Verdict {
  if (!file) return undecidable(`${path} is not in the synthesized output`);
  if (aspect === "mode") {
    return withinMode(file.mode, maxMode)
      ? pass(`${path} is ${octal(file.mode)}`)
      : fail(`${path} is ${octal(file.mode)}, more permissive than ${octal(maxMode)}`);
  }
  return file.owner === owner
    ? pass(`${path} is owned by ${file.owner}`)
    : fail(`${path} is owned by ${file.owner}, not ${owner}`);
}
