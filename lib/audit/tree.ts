import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { KubeforgeError } from "../errors";
import { secretModeOf } from "../pki/plan";
import { INDEX_FILE, type RenderedCluster } from "../synth";

/** A node file as the audit sees it: recorded mode and owner, and its text when it is present. */
export interface AuditFile {
  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  /** Undefined when the index lists the file but its bytes are missing from the tree. */
  readonly content?: string;
}

/** A secret delivered at apply time: only its path, unless the index also records mode and owner. */
export interface AuditSecret {
  readonly path: string;
  readonly mode?: number;
  readonly owner?: string;
}

/** One host of the synthesized output. */
export interface AuditNode {
  readonly name: string;
  readonly files: ReadonlyMap<string, AuditFile>;
  readonly secrets: ReadonlyMap<string, AuditSecret>;
}

/** A Kubernetes API object from `cluster/*.yaml`. */
export type ApiObject = Readonly<Record<string, unknown>>;

/** What the audit reads: every node's files and every cluster object. Built from disk or memory. */
export interface AuditTree {
  /** Where the tree came from, for the report header. */
  readonly source: string;
  readonly nodes: readonly AuditNode[];
  readonly objects: readonly ApiObject[];
}

/** The in-memory rendering of a cluster, as an audit tree (no disk round trip). */
export function treeFromRendered(rendered: RenderedCluster, source = "(in memory)"): AuditTree {
  return {
    source,
    nodes: rendered.nodes.map((n) => ({
      name: n.name,
      files: new Map(
        n.files.map((f) => [f.path, { path: f.path, mode: f.mode, owner: f.owner, content: f.content }]),
      ),
      secrets: new Map(n.secretPaths.map((p) => [p, { path: p, mode: secretModeOf(p), owner: "root:root" }])),
    })),
    objects: rendered.clusterObjects.flatMap((g) => g.objects),
  };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new KubeforgeError(
      "AUDIT_INPUT",
      file,
      `'${file}' is not readable JSON (${e instanceof Error ? e.message : String(e)}). Run 'kubeforge synth' again.`,
    );
  }
}

function parseMode(value: unknown, where: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^0?[0-7]{3,4}$/.test(value)) return Number.parseInt(value, 8);
  throw new KubeforgeError("AUDIT_INPUT", where, `${where} has no valid mode (${String(value)}).`);
}

interface IndexEntry {
  readonly path?: unknown;
  readonly mode?: unknown;
  readonly owner?: unknown;
}

function loadNode(root: string, name: string): AuditNode {
  const indexPath = path.join(root, "nodes", `${name}.json`);
  const index = readJson(indexPath) as { files?: IndexEntry[]; secrets?: (string | IndexEntry)[] };
  const files = new Map<string, AuditFile>();
  for (const entry of index.files ?? []) {
    if (typeof entry.path !== "string") continue;
    const where = `${indexPath}: ${entry.path}`;
    const onDisk = path.join(root, "nodes", name, entry.path);
    files.set(entry.path, {
      path: entry.path,
      mode: parseMode(entry.mode, where),
      owner: typeof entry.owner === "string" ? entry.owner : "root:root",
      content: fs.existsSync(onDisk) ? fs.readFileSync(onDisk, "utf8") : undefined,
    });
  }
  const secrets = new Map<string, AuditSecret>();
  for (const entry of index.secrets ?? []) {
    if (typeof entry === "string") secrets.set(entry, { path: entry });
    else if (typeof entry.path === "string") {
      secrets.set(entry.path, {
        path: entry.path,
        mode: entry.mode === undefined ? undefined : parseMode(entry.mode, `${indexPath}: ${entry.path}`),
        owner: typeof entry.owner === "string" ? entry.owner : undefined,
      });
    }
  }
  return { name, files, secrets };
}

function loadObjects(file: string): ApiObject[] {
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"));
  const list = Array.isArray(docs) ? docs : [docs];
  const objects: ApiObject[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      throw new KubeforgeError("AUDIT_INPUT", file, `'${file}' is not valid YAML: ${doc.errors[0]?.message}`);
    }
    const value = doc.toJSON() as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) objects.push(value as ApiObject);
  }
  return objects;
}

/**
 * Reads a synthesized output directory (`kubeforge synth --out DIR`). Refuses a directory without
 * kubeforge's index, so a typo does not produce an empty, passing report.
 */
export function loadTree(dir: string): AuditTree {
  const root = path.resolve(dir);
  const indexFile = path.join(root, INDEX_FILE);
  if (!fs.existsSync(indexFile)) {
    throw new KubeforgeError(
      "AUDIT_INPUT",
      root,
      `'${root}' holds no ${INDEX_FILE}: it is not kubeforge synth output. Run 'kubeforge synth --out ${dir}' first.`,
    );
  }
  const index = readJson(indexFile) as { nodes?: unknown; cluster?: unknown };
  const nodeNames = Array.isArray(index.nodes) ? index.nodes.filter((n) => typeof n === "string") : [];
  const clusterFiles = Array.isArray(index.cluster)
    ? index.cluster.filter((n): n is string => typeof n === "string")
    : [];
  return {
    source: root,
    nodes: nodeNames.map((n) => loadNode(root, n)),
    objects: clusterFiles.flatMap((rel) => {
      const file = path.join(root, rel);
      if (!fs.existsSync(file)) {
        throw new KubeforgeError(
          "AUDIT_INPUT",
          file,
          `'${file}' is listed in ${INDEX_FILE} but missing. Run 'kubeforge synth' again.`,
        );
      }
      return loadObjects(file);
    }),
  };
}
