import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../util";

/**
 * Proves the published package works for another project: `npm pack` (which builds JavaScript and
 * declarations), unpack into a consumer's node_modules, then require it from JavaScript and
 * type-check a TypeScript consumer against the shipped .d.ts files. Dependencies are linked from
 * this checkout's node_modules so the test needs no registry.
 */
const root = path.resolve(__dirname, "../..");
const work = tempDir("kubeforge-pack-");
const consumer = path.join(work.dir, "consumer");
let tarball = "";

beforeAll(() => {
  const packed = execFileSync("npm", ["pack", "--json", "--pack-destination", work.dir], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const info = JSON.parse(packed.slice(packed.indexOf("["))) as { filename: string }[];
  tarball = path.join(work.dir, info[0]?.filename ?? "");
  const target = path.join(consumer, "node_modules", "kubeforge");
  fs.mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  for (const dep of [...Object.keys(pkg.dependencies), "@types/node", "typescript"]) {
    const link = path.join(consumer, "node_modules", dep);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(root, "node_modules", dep), link, "dir");
  }
}, 120_000);

afterAll(() => work.cleanup());

describe("the npm package", () => {
  it("ships built JavaScript, declarations and the CLI, and no sources or tests", () => {
    const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
    expect(listing).toContain("package/build/lib/index.js");
    expect(listing).toContain("package/build/lib/index.d.ts");
    expect(listing).toContain("package/build/lib/cli/main.js");
    expect(listing.some((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toBe(false);
    expect(listing.some((f) => f.startsWith("package/test/"))).toBe(false);
  });

  it("is required by another project to synthesize a cluster", () => {
    fs.writeFileSync(
      path.join(consumer, "synth.js"),
      [
        'const { Cluster, ClusterApp, DEFAULT_CLUSTER_SPEC } = require("kubeforge");',
        "const app = new ClusterApp({ outdir: process.argv[2] });",
        'const spec = { ...DEFAULT_CLUSTER_SPEC, name: "imported" };',
        'const cluster = new Cluster(app, "c", { spec });',
        "app.synth();",
        "console.log(JSON.stringify({ name: cluster.spec.name, report: app.lastReport }));",
      ].join("\n"),
    );
    const out = path.join(consumer, "out");
    const result = JSON.parse(
      execFileSync("node", ["synth.js", out], { cwd: consumer, encoding: "utf8" }),
    ) as {
      name: string;
      report: { files: number };
    };
    expect(result.name).toBe("imported");
    expect(result.report.files).toBeGreaterThan(20);
    expect(fs.existsSync(path.join(out, "nodes/cp-1/etc/kubernetes/manifests/etcd.yaml"))).toBe(true);
  });

  it("type-checks a TypeScript consumer against the shipped declarations", () => {
    fs.writeFileSync(
      path.join(consumer, "app.ts"),
      [
        'import { Cluster, ClusterApp, type ClusterSpecInput } from "kubeforge";',
        'const spec: ClusterSpecInput = { name: "typed", nodes: [{ name: "n1", roles: ["control-plane"], address: "192.0.2.5" }] };',
        'const app = new ClusterApp({ outdir: "out" });',
        'const c: Cluster = new Cluster(app, "c", { spec });',
        "export const version: string = c.spec.kubernetesVersion;",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          noEmit: true,
          types: ["node"],
        },
        files: ["app.ts"],
      }),
    );
    execFileSync("node", [path.join(consumer, "node_modules/typescript/bin/tsc"), "-p", "."], {
      cwd: consumer,
    });
  }, 120_000);

  it("exports the Pulumi component from the kubeforge/pulumi subpath", () => {
    const out = execFileSync(
      "node",
      [
        "-e",
        'const p = require("kubeforge/pulumi"); console.log(typeof p.ClusterDeployment, p.CLUSTER_TYPE)',
      ],
      { cwd: consumer, encoding: "utf8" },
    );
    expect(out.trim()).toBe("function kubeforge:index:Cluster");
  });

  it("installs a working kubeforge binary", () => {
    const bin = path.join(consumer, "node_modules/kubeforge/build/lib/cli/main.js");
    const help = execFileSync("node", [bin, "--help"], { encoding: "utf8" });
    expect(help).toContain("Usage: kubeforge");
    expect(fs.statSync(bin).mode & 0o111).not.toBe(0);
  });
});
