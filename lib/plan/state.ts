import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { ClusterApp } from "../app";
import { Cluster } from "../cluster";
import { KubeforgeError } from "../errors";
import { MANIFESTS_DIR } from "../paths";
import { DEFAULT_CLUSTER_SPEC } from "../spec/defaults";
import { loadSpecFile } from "../spec/load";
import type { ClusterSpecInput } from "../spec/schema";
import { INDEX_FILE, type RenderedCluster } from "../synth";
import { BOOTSTRAP_SCRIPT } from "../worker/bootstrap";
import { flagValue, installedArtifacts } from "./impact";

/**
 * One side of a plan: the synthesized output of a cluster spec, from memory (`RenderedCluster`), a
 * dist/ directory, or a kubeforge.yaml at a git ref. Node facts (roles, address, versions) are read
 * from the node files themselves, so every source is compared the same way.
 */

/** A node file with its bytes. */
export interface StateFile {
  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  readonly content: string;
}

/** One node of a state, with the facts the plan needs. */
export interface StateNode {
  readonly name: string;
  readonly files: readonly StateFile[];
  readonly secretPaths: readonly string[];
  /** Runs kube-apiserver (a control-plane node). */
  readonly controlPlane: boolean;
  /** Runs an etcd member. */
  readonly etcd: boolean;
  /** The kubelet's --node-ip. */
  readonly address?: string;
  /** The kubelet version the bootstrap installs. */
  readonly kubeletVersion?: string;
  /** The etcd image tag, on etcd members. */
  readonly etcdVersion?: string;
}

/** A cluster object, identified by kind, namespace and name. */
export interface StateObject {
  readonly id: string;
  readonly sha256: string;
}

/** One side of a plan. */
export interface ClusterState {
  /** Where it came from, for messages. */
  readonly source: string;
  /** The cluster's Kubernetes version; undefined when the source does not record it. */
  readonly kubernetesVersion?: string;
  readonly nodes: readonly StateNode[];
  readonly objects: readonly StateObject[];
}

const manifest = (name: string) => `${MANIFESTS_DIR}/${name}.yaml`;

function nodeFacts(name: string, files: readonly StateFile[], secretPaths: readonly string[]): StateNode {
  const content = (p: string) => files.find((f) => f.path === p)?.content;
  const unit = files.find((f) => f.path.startsWith("/etc/systemd/system/kubelet.service.d/"));
  const etcdManifest = content(manifest("etcd"));
  return {
    name,
    files,
    secretPaths,
    controlPlane: content(manifest("kube-apiserver")) !== undefined,
    etcd: etcdManifest !== undefined,
    address: flagValue(unit?.content, "node-ip"),
    kubeletVersion: installedArtifacts(content(BOOTSTRAP_SCRIPT)).kubelet,
    etcdVersion: /image: \S+\/etcd:(\S+)/.exec(etcdManifest ?? "")?.[1],
  };
}

function objectId(o: Record<string, unknown>): string {
  const meta = (o.metadata ?? {}) as { name?: string; namespace?: string };
  return `${String(o.kind)}/${meta.namespace ? `${meta.namespace}/` : ""}${meta.name ?? ""}`;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function objectsOf(objects: readonly Record<string, unknown>[]): StateObject[] {
  return objects.map((o) => ({ id: objectId(o), sha256: sha256(JSON.stringify(o)) }));
}

/** The state of an in-memory rendering (what `kubeforge synth` would write). */
export function stateFromRendered(rendered: RenderedCluster, source: string): ClusterState {
  return {
    source,
    kubernetesVersion: rendered.kubernetesVersion,
    nodes: rendered.nodes.map((n) => nodeFacts(n.name, n.files, n.secretPaths)),
    objects: rendered.clusterObjects.flatMap((g) => objectsOf(g.objects)),
  };
}

/** Synthesizes a spec in memory, validating it, and returns its state. */
export function stateFromSpec(spec: unknown, source: string): ClusterState {
  const app = new ClusterApp({ outdir: path.join(os.tmpdir(), "kubeforge-plan-unused") });
  new Cluster(app, "cluster", { spec: (spec ?? DEFAULT_CLUSTER_SPEC) as ClusterSpecInput, source });
  return stateFromRendered(app.render(), source);
}

function planInput(where: string, message: string): KubeforgeError {
  return new KubeforgeError("PLAN_INPUT", where, message);
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw planInput(
      file,
      `'${file}' is not valid JSON (${e instanceof Error ? e.message : e}). Run 'kubeforge synth' again.`,
    );
  }
}

/** Reads a dist/ directory written by `kubeforge synth`. */
export function stateFromDist(dir: string): ClusterState {
  const root = path.resolve(dir);
  const indexFile = path.join(root, INDEX_FILE);
  if (!fs.existsSync(indexFile)) {
    throw planInput(
      root,
      `'${root}' holds no ${INDEX_FILE}: it is not kubeforge synth output. Pass the previous output directory with --from, or a spec with --from-git REF:path.`,
    );
  }
  const index = readJson(indexFile) as { nodes?: unknown; cluster?: unknown; kubernetesVersion?: unknown };
  const names = Array.isArray(index.nodes)
    ? index.nodes.filter((n): n is string => typeof n === "string")
    : [];
  const nodes = names.map((name) => {
    const nodeIndex = readJson(path.join(root, "nodes", `${name}.json`)) as {
      files?: { path: string; mode: string; owner: string }[];
      // Secret entries are `{ path, mode, owner }`; output from before the modes were recorded has plain paths.
      secrets?: (string | { path: string })[];
    };
    const files = (nodeIndex.files ?? []).map((f) => {
      const file = path.join(root, "nodes", name, f.path);
      if (!fs.existsSync(file))
        throw planInput(
          file,
          `'${file}' is listed in the node index but missing. Run 'kubeforge synth' again.`,
        );
      return {
        path: f.path,
        mode: Number.parseInt(f.mode, 8),
        owner: f.owner,
        content: fs.readFileSync(file, "utf8"),
      };
    });
    const secrets = (nodeIndex.secrets ?? []).map((e) => (typeof e === "string" ? e : e.path));
    return nodeFacts(name, files, secrets);
  });
  const clusterFiles = Array.isArray(index.cluster)
    ? index.cluster.filter((c): c is string => typeof c === "string")
    : [];
  const objects = clusterFiles.flatMap((rel) => {
    const file = path.join(root, rel);
    if (!fs.existsSync(file))
      throw planInput(file, `'${file}' is listed in ${INDEX_FILE} but missing. Run 'kubeforge synth' again.`);
    return objectsOf(
      parseAllDocuments(fs.readFileSync(file, "utf8"))
        .map((d) => d.toJSON() as unknown)
        .filter((v): v is Record<string, unknown> => v !== null && typeof v === "object"),
    );
  });
  // Output written before the index recorded the version: the kubelet version all nodes agree on.
  const versions = new Set(nodes.map((n) => n.kubeletVersion).filter((v) => v !== undefined));
  const kubernetesVersion =
    typeof index.kubernetesVersion === "string"
      ? index.kubernetesVersion
      : versions.size === 1
        ? [...versions][0]
        : undefined;
  return { source: root, kubernetesVersion, nodes, objects };
}

/**
 * Reads `REF:path` (a kubeforge.yaml in git) with `git show`, run in `cwd`, and synthesizes it.
 */
export function stateFromGit(refPath: string, cwd: string = process.cwd()): ClusterState {
  const colon = refPath.indexOf(":");
  if (colon <= 0 || colon === refPath.length - 1) {
    throw planInput(
      refPath,
      `'${refPath}' must be REF:path, e.g. HEAD~1:kubeforge.yaml or main:clusters/prod.yaml.`,
    );
  }
  let text: string;
  try {
    text = execFileSync("git", ["show", refPath], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 30_000,
    });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw planInput(
      refPath,
      `git show ${refPath} failed${stderr ? `: ${stderr.split("\n")[0]}` : ""}. Check the ref and the path (relative to the repository root).`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeforge-plan-"));
  try {
    const file = path.join(dir, "kubeforge.yaml");
    fs.writeFileSync(file, text);
    return stateFromSpec(loadSpecFile(file), refPath);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
