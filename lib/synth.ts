import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Chart } from "cdk8s";
import type { IConstruct } from "constructs";
import { Cluster } from "./cluster";
import { KubeforgeError } from "./errors";
import { HostNode, toYaml } from "./host/node-file";
import { secretModeOf } from "./pki/plan";
import { formatMode } from "./private/format";

/** One node file, rendered. */
export interface RenderedFile {
  /** Absolute host path. */
  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  readonly content: string;
  readonly sha256: string;
}

/** Everything one host receives, except the secret material listed in `secretPaths`. */
export interface RenderedNode {
  readonly name: string;
  readonly files: readonly RenderedFile[];
  /** Host paths of keys, certificates and other secrets delivered at apply time. */
  readonly secretPaths: readonly string[];
}

/** A file of cluster objects (one per chart), applied through the API server. */
export interface RenderedObjects {
  /** File name under `cluster/`, e.g. `cluster.yaml`. */
  readonly name: string;
  readonly objects: readonly Record<string, unknown>[];
}

/** The complete synthesized output, in memory. The Pulumi stack consumes this directly. */
export interface RenderedCluster {
  readonly nodes: readonly RenderedNode[];
  readonly clusterObjects: readonly RenderedObjects[];
  /** The resolved Kubernetes version, when the tree holds exactly one cluster; recorded in the index. */
  readonly kubernetesVersion?: string;
}

/** The Kubernetes version of the tree's cluster, when it holds exactly one. */
function clusterVersion(all: readonly IConstruct[]): string | undefined {
  const clusters = all.filter((c): c is Cluster => c instanceof Cluster);
  return clusters.length === 1 ? clusters[0]?.spec.kubernetesVersion : undefined;
}

/** Runs every construct's validations and reports them all at once. */
export function validateTree(root: IConstruct): void {
  const errors: string[] = [];
  for (const c of root.node.findAll()) {
    for (const message of c.node.validate()) errors.push(`${c.node.path || "(root)"}: ${message}`);
  }
  if (errors.length > 0) {
    throw new KubeforgeError(
      "INVALID_TREE",
      "",
      `The construct tree has ${errors.length} problem(s):\n${errors.map((e) => `  - ${e}`).join("\n")}`,
    );
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Validates and renders a construct tree into memory. Pure: no I/O. */
export function renderTree(root: IConstruct): RenderedCluster {
  validateTree(root);
  const all = root.node.findAll();
  const nodes: RenderedNode[] = [];
  const seenNodes = new Set<string>();
  const clusterObjects: RenderedObjects[] = [];
  const seenCharts = new Set<string>();
  for (const c of all) {
    if (HostNode.isHostNode(c)) {
      if (seenNodes.has(c.nodeName)) {
        throw new KubeforgeError("INVALID_TREE", c.node.path, `Two hosts are named '${c.nodeName}'.`);
      }
      seenNodes.add(c.nodeName);
      const files = c.files
        .map((f) => {
          const content = f.render();
          return { path: f.path, mode: f.mode, owner: f.owner, content, sha256: sha256(content) };
        })
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      nodes.push({ name: c.nodeName, files, secretPaths: c.secretPaths });
    } else if (Chart.isChart(c)) {
      const objects = c.toJson() as Record<string, unknown>[];
      if (objects.length === 0) continue;
      const name = `${c.node.id}.yaml`;
      if (seenCharts.has(name)) {
        throw new KubeforgeError("INVALID_TREE", c.node.path, `Two charts would both write cluster/${name}.`);
      }
      seenCharts.add(name);
      clusterObjects.push({ name, objects });
    }
  }
  nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const kubernetesVersion = clusterVersion(all);
  return kubernetesVersion ? { nodes, clusterObjects, kubernetesVersion } : { nodes, clusterObjects };
}

/** The index file that marks a directory as kubeforge output. */
export const INDEX_FILE = "kubeforge.json";

interface DesiredFile {
  readonly content: string;
  readonly mode: number;
}

export { formatMode };

/** Lays the rendered output out as files: relative path → content and mode. */
export function layoutFiles(rendered: RenderedCluster): Map<string, DesiredFile> {
  const out = new Map<string, DesiredFile>();
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  for (const node of rendered.nodes) {
    for (const f of node.files) out.set(`nodes/${node.name}${f.path}`, { content: f.content, mode: f.mode });
    out.set(`nodes/${node.name}.json`, {
      content: json({
        node: node.name,
        files: node.files.map((f) => ({
          path: f.path,
          mode: formatMode(f.mode),
          owner: f.owner,
          sha256: f.sha256,
        })),
        secrets: node.secretPaths.map((p) => ({
          path: p,
          mode: formatMode(secretModeOf(p)),
          owner: "root:root",
        })),
      }),
      mode: 0o644,
    });
  }
  for (const group of rendered.clusterObjects) {
    out.set(`cluster/${group.name}`, {
      content: group.objects.map((o) => toYaml(o)).join("---\n"),
      mode: 0o644,
    });
  }
  out.set(INDEX_FILE, {
    content: json({
      generator: "kubeforge",
      nodes: rendered.nodes.map((n) => n.name),
      cluster: rendered.clusterObjects.map((g) => `cluster/${g.name}`),
      ...(rendered.kubernetesVersion ? { kubernetesVersion: rendered.kubernetesVersion } : {}),
    }),
    mode: 0o644,
  });
  return out;
}

export interface WriteReport {
  readonly written: number;
  readonly unchanged: number;
  readonly removed: number;
  readonly files: number;
  readonly bytes: number;
}

function listFiles(dir: string, prefix = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(path.join(dir, entry.name), rel));
    else out.push(rel);
  }
  return out;
}

function removeEmptyDirs(dir: string, keepRoot: boolean): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyDirs(path.join(dir, entry.name), false);
  }
  if (!keepRoot && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}

/**
 * Writes rendered output to `outdir`. Only files whose bytes or mode changed are rewritten, and files
 * kubeforge wrote before that are no longer produced are removed, so a one-node change touches only
 * that node's files. Refuses a non-empty directory that is not kubeforge output.
 */
export function writeRendered(rendered: RenderedCluster, outdir: string): WriteReport {
  const desired = layoutFiles(rendered);
  const root = path.resolve(outdir);
  const existing = listFiles(root);
  if (existing.length > 0 && !existing.includes(INDEX_FILE)) {
    throw new KubeforgeError(
      "OUTPUT_DIR",
      root,
      `'${root}' is not empty and holds no ${INDEX_FILE}: kubeforge only writes into its own output directories. Choose an empty or new directory.`,
    );
  }
  let removed = 0;
  for (const rel of existing) {
    if (!desired.has(rel)) {
      fs.rmSync(path.join(root, rel));
      removed++;
    }
  }
  removeEmptyDirs(root, true);
  let written = 0;
  let unchanged = 0;
  let bytes = 0;
  const existingSet = new Set(existing);
  const madeDirs = new Set<string>();
  // A mode the process umask would strip needs an explicit chmod; the usual 0600/0644/0700 do not.
  const umask = process.umask();
  for (const [rel, file] of desired) {
    const target = path.join(root, rel);
    const data = Buffer.from(file.content, "utf8");
    bytes += data.length;
    if (existingSet.has(rel)) {
      const stat = fs.statSync(target);
      if (
        (stat.mode & 0o777) === file.mode &&
        stat.size === data.length &&
        fs.readFileSync(target).equals(data)
      ) {
        unchanged++;
        continue;
      }
    }
    const dir = path.dirname(target);
    if (!madeDirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    if (existingSet.has(rel)) {
      // Replace through a rename, so a reader never sees a half-written file.
      const temp = `${target}.kubeforge-tmp`;
      fs.writeFileSync(temp, data, { mode: file.mode });
      fs.chmodSync(temp, file.mode);
      fs.renameSync(temp, target);
    } else {
      fs.writeFileSync(target, data, { mode: file.mode, flag: "wx" });
      if ((file.mode & umask) !== 0) fs.chmodSync(target, file.mode);
    }
    written++;
  }
  return { written, unchanged, removed, files: desired.size, bytes };
}
