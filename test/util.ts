import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ClusterApp } from "../lib/app";
import { main } from "../lib/cli/main";
import { Cluster, type ClusterProps } from "../lib/cluster";
import { DEFAULT_CLUSTER_SPEC } from "../lib/spec/defaults";
import type { ClusterSpecInput } from "../lib/spec/schema";
import type { RenderedCluster, RenderedNode } from "../lib/synth";

/** A deep copy of the default spec, to mutate in a test. */
export function defaultSpec(): ClusterSpecInput {
  return structuredClone(DEFAULT_CLUSTER_SPEC) as ClusterSpecInput;
}

/** A single-node cluster: one control-plane node that is also a worker, no endpoint. */
export function singleNodeSpec(): ClusterSpecInput {
  return {
    name: "solo",
    nodes: [{ name: "node-1", roles: ["control-plane", "etcd", "worker"], address: "192.0.2.50" }],
  };
}

/** Builds a cluster in a fresh app and renders it in memory. */
export function render(
  spec?: ClusterSpecInput,
  props: Omit<ClusterProps, "spec"> = {},
): {
  app: ClusterApp;
  cluster: Cluster;
  rendered: RenderedCluster;
} {
  const app = new ClusterApp({ outdir: path.join(os.tmpdir(), "kubeforge-unused") });
  const cluster = new Cluster(app, "cluster", { ...props, spec });
  return { app, cluster, rendered: app.render() };
}

/** The rendered node by name; throws when missing. */
export function nodeOf(rendered: RenderedCluster, name: string): RenderedNode {
  const node = rendered.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  return node;
}

/** The content of one file of a rendered node; throws when missing. */
export function fileOf(rendered: RenderedCluster, node: string, hostPath: string): string {
  const file = nodeOf(rendered, node).files.find((f) => f.path === hostPath);
  if (!file) throw new Error(`no file ${hostPath} on ${node}`);
  return file.content;
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(prefix = "kubeforge-test-"): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Flags of a static pod manifest's first container, as a map (without leading dashes). */
export function podFlags(manifest: unknown): Map<string, string> {
  const spec = (manifest as { spec: { containers: { command: string[] }[] } }).spec;
  const command = spec.containers[0]?.command ?? [];
  const flags = new Map<string, string>();
  for (const arg of command.slice(1)) {
    const match = /^--([^=]+)=(.*)$/.exec(arg);
    if (!match?.[1]) throw new Error(`not a --key=value flag: ${arg}`);
    flags.set(match[1], match[2] ?? "");
  }
  return flags;
}

/** Runs the kubeforge CLI in-process and returns its exit code, stdout and stderr. */
export async function runCli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}
