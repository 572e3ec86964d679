/**
 * One benchmark measurement in a fresh process. Modes:
 *   synth N OUT [CHANGED]   synthesize the scaled spec into OUT (CHANGED: index of a worker to relabel)
 *   floor SRC OUT           write the same files as SRC with the yaml library alone (no constructs)
 * Prints one JSON line with wall/CPU seconds, peak RSS and files/bytes written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { ClusterApp } from "../lib/app";
import { Cluster } from "../lib/cluster";
import { scaledSpec } from "./spec";

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

function finish(extra: Record<string, number>, startCpu: NodeJS.CpuUsage, startWall: number): void {
  const cpu = process.cpuUsage(startCpu);
  const usage = process.resourceUsage();
  process.stdout.write(
    `${JSON.stringify({
      wallSeconds: (performance.now() - startWall) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      processWallSeconds: performance.now() / 1000,
      peakRssMiB: usage.maxRSS / 1024,
      ...extra,
    })}\n`,
  );
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === "synth" && a && b) {
  const spec = scaledSpec(Number(a), c === undefined ? undefined : Number(c));
  const startWall = performance.now();
  const startCpu = process.cpuUsage();
  const app = new ClusterApp({ outdir: b });
  new Cluster(app, "cluster", { spec });
  app.synth();
  const r = app.lastReport;
  finish({ files: r?.files ?? 0, bytes: r?.bytes ?? 0, written: r?.written ?? 0 }, startCpu, startWall);
} else if (mode === "floor" && a && b) {
  // Load the synthesized documents first (not timed): the floor is the cost of serializing and
  // writing the same objects, with nothing else.
  const docs = listFiles(a).map((file) => {
    const text = fs.readFileSync(file, "utf8");
    const rel = path.relative(a, file);
    const isYaml = /\.ya?ml$/.test(rel) && !text.startsWith("#");
    return { rel, values: isYaml ? parseAllDocuments(text).map((d) => d.toJS()) : [text], isYaml };
  });
  const startWall = performance.now();
  const startCpu = process.cpuUsage();
  let bytes = 0;
  for (const d of docs) {
    const target = path.join(b, d.rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const content = d.isYaml
      ? d.values.map((v) => stringify(v, { lineWidth: 0 })).join("---\n")
      : String(d.values[0]);
    fs.writeFileSync(target, content);
    bytes += Buffer.byteLength(content);
  }
  finish({ files: docs.length, bytes }, startCpu, startWall);
} else {
  process.stderr.write("usage: child.ts synth N OUT [CHANGED] | floor SRC OUT\n");
  process.exitCode = 2;
}
