import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../util";

const work = tempDir("kubeforge-cdk8s-");
afterAll(() => work.cleanup());

describe("npx cdk8s synth", () => {
  it("synthesizes the same output as kubeforge synth, offline", () => {
    const root = path.resolve(__dirname, "../..");
    const viaCdk8s = path.join(work.dir, "cdk8s");
    const viaCli = path.join(work.dir, "cli");
    execFileSync("npx", ["cdk8s", "synth", "--output", viaCdk8s], {
      cwd: root,
      env: { ...process.env, CDK8S_CHECK_UPGRADE: "false" },
      stdio: "pipe",
    });
    execFileSync("npx", ["tsx", "lib/cli/main.ts", "synth", "--out", viaCli], { cwd: root, stdio: "pipe" });
    const list = (dir: string): string[] =>
      fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .sort();
    const files = list(viaCli);
    expect(files.length).toBeGreaterThan(20);
    expect(list(viaCdk8s)).toStrictEqual(files);
    for (const f of files) {
      expect(fs.readFileSync(path.join(viaCdk8s, f)).equals(fs.readFileSync(path.join(viaCli, f))), f).toBe(
        true,
      );
    }
  });
});
