/**
 * `npm run bench`: synthesis at 3, 100, 1,000 and 5,000 nodes, each in a fresh process; the yaml-only
 * serialization floor; the scaling exponent between 1,000 and 5,000 nodes; the Pulumi program under
 * the mock runtime; and an incremental re-synth with one worker changed. Writes bench/results.json
 * and prints a markdown table. A script, not a test: figures vary with the machine.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const here = __dirname;
const sizes = (process.env.BENCH_SIZES ?? "3,100,1000,5000").split(",").map(Number);

interface ChildResult {
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  files: number;
  bytes: number;
  written?: number;
  resources?: number;
  workers?: number;
}

function child(script: string, args: string[]): ChildResult & { processWallSeconds: number } {
  const start = performance.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(here, script), ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const processWallSeconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${script} ${args.join(" ")} failed:\n${r.stderr}`);
  const line = r.stdout.trim().split("\n").pop() ?? "{}";
  return { ...(JSON.parse(line) as ChildResult), processWallSeconds };
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "kubeforge-bench-"));
try {
  const runs = sizes.map((nodes) => {
    const out = path.join(work, `synth-${nodes}`);
    const synth = child("child.ts", ["synth", String(nodes), out]);
    const floor = child("child.ts", ["floor", out, path.join(work, `floor-${nodes}`)]);
    return {
      nodes,
      wallSeconds: round(synth.processWallSeconds),
      synthSeconds: round(synth.wallSeconds),
      cpuSeconds: round(synth.cpuSeconds),
      peakRssMiB: round(synth.peakRssMiB, 1),
      files: synth.files,
      bytes: synth.bytes,
      floorSeconds: round(floor.wallSeconds),
      floorRatio: round(synth.wallSeconds / floor.wallSeconds, 2),
    };
  });
  const at = (n: number) => runs.find((r) => r.nodes === n);
  const r1 = at(1000);
  const r5 = at(5000);
  const scalingExponent =
    r1 && r5 ? round(Math.log(r5.synthSeconds / r1.synthSeconds) / Math.log(5), 3) : null;

  // Incremental: re-synth the 1,000-node output (or the largest below) with one worker relabelled.
  const base = r1 ? 1000 : (sizes[sizes.length - 1] ?? 3);
  const changed = child("child.ts", [
    "synth",
    String(base),
    path.join(work, `synth-${base}`),
    String(base - 1),
  ]);
  const incremental = { nodes: base, filesRewritten: changed.written ?? -1 };

  let pulumi: Record<string, number> | null = null;
  if (fs.existsSync(path.join(here, "pulumi-child.ts"))) {
    // 100 and 1,000 nodes have the same 5 control-plane nodes and, with batches of a tenth of the
    // workers, the same number of batches: the difference is the cost of the added workers alone.
    const small = child("pulumi-child.ts", ["100"]);
    const big = child("pulumi-child.ts", ["1000"]);
    pulumi = {
      nodes: 1000,
      seconds: round(big.wallSeconds),
      resources: big.resources ?? 0,
      resourcesPerWorker: round(
        ((big.resources ?? 0) - (small.resources ?? 0)) / ((big.workers ?? 0) - (small.workers ?? 0)),
        2,
      ),
    };
  }

  const results = { runs, scalingExponent, pulumi, incremental };
  fs.writeFileSync(path.join(here, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  const rows = runs.map(
    (r) =>
      `| ${r.nodes} | ${r.wallSeconds} | ${r.synthSeconds} | ${r.cpuSeconds} | ${r.peakRssMiB} | ${r.files} | ${r.bytes} | ${r.floorSeconds} | ${r.floorRatio} |`,
  );
  process.stdout.write(
    [
      "| nodes | process wall s | synth s | CPU s | peak RSS MiB | files | bytes | floor s | synth/floor |",
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...rows,
      "",
      `scaling exponent (1,000 → 5,000): ${scalingExponent ?? "n/a"}`,
      `incremental: ${incremental.filesRewritten} files rewritten after changing one worker of ${incremental.nodes}`,
      pulumi
        ? `pulumi (mocks): ${pulumi.seconds} s at ${pulumi.nodes} nodes, ${pulumi.resources} resources, ${pulumi.resourcesPerWorker} per worker`
        : "pulumi: bench/pulumi-child.ts not present",
      "",
    ].join("\n"),
  );
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
