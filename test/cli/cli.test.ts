import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { defaultSpec, runCli, tempDir } from "../util";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function workdir(): string {
  const t = tempDir("kubeforge-cli-");
  cleanups.push(t.cleanup);
  return t.dir;
}

describe("kubeforge CLI", () => {
  it("synth writes the default cluster and reports figures", async () => {
    const out = path.join(workdir(), "dist");
    const r = await runCli(["synth", "--out", out]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Synthesized cluster 'kubeforge' \(Kubernetes 1\.35\.\d+, 6 nodes\)/);
    expect(fs.existsSync(path.join(out, "nodes/cp-1/etc/kubernetes/manifests/kube-apiserver.yaml"))).toBe(
      true,
    );
  });

  it("synth --config reads a kubeforge.yaml", async () => {
    const dir = workdir();
    const config = path.join(dir, "kubeforge.yaml");
    fs.writeFileSync(config, stringify({ ...defaultSpec(), name: "prod", kubernetesVersion: "1.34" }));
    const r = await runCli(["synth", "--config", config, "--out", path.join(dir, "out")]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("'prod' (Kubernetes 1.34.");
  });

  it("an invalid kubeforge.yaml prints every problem, exits 1 and leaves the output untouched", async () => {
    const dir = workdir();
    const out = path.join(dir, "dist");
    expect((await runCli(["synth", "--out", out])).code).toBe(0);
    const before = fs.readFileSync(path.join(out, "kubeforge.json"));
    const config = path.join(dir, "bad.yaml");
    const bad = defaultSpec() as Record<string, unknown>;
    bad.nodse = [];
    bad.networking = { podCIDR: "10.96.0.0/16", serviceCIDR: "10.96.0.0/12" };
    bad.kubernetesVersion = "1.20";
    fs.writeFileSync(config, stringify(bad));
    const r = await runCli(["synth", "--config", config, "--out", out]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("[UNKNOWN_KEY]");
    expect(r.err).toContain("Did you mean 'nodes'?");
    expect(r.err).toContain("[CIDR_OVERLAP]");
    expect(r.err).toContain("[UNSUPPORTED_VERSION]");
    expect(fs.readFileSync(path.join(out, "kubeforge.json")).equals(before)).toBe(true);
  });

  it("validate reports success and failure with exit codes", async () => {
    expect((await runCli(["validate"])).code).toBe(0);
    const dir = workdir();
    const config = path.join(dir, "bad.yaml");
    fs.writeFileSync(config, "name: Bad_Name\nnodes: []\n");
    const r = await runCli(["validate", "--config", config]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("[INVALID_NAME]");
    expect(r.err).toContain("[NO_CONTROL_PLANE]");
  });

  it("a missing config file is a clear error", async () => {
    const r = await runCli(["validate", "--config", "/nonexistent/kubeforge.yaml"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("does not exist");
  });

  it("prints usage for --help and exits 2 on unknown commands", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("synth");
    expect(help.out).toContain("validate");
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command");
  });

  it("runs as a process through npm run synth's entry point and exits non-zero on failure", () => {
    const dir = workdir();
    const ok = execFileSync("npx", ["tsx", "lib/cli/main.ts", "synth", "--out", path.join(dir, "d")], {
      encoding: "utf8",
    });
    expect(ok).toContain("Synthesized");
    const bad = path.join(dir, "bad.yaml");
    fs.writeFileSync(bad, "name: x\n");
    const r = spawnSync("npx", ["tsx", "lib/cli/main.ts", "validate", "--config", bad], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("[REQUIRED]");
  });
});
