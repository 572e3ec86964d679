import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { KubeforgeError } from "../../lib/errors";
import type { ClusterPlan } from "../../lib/plan/plan";
import { stateFromGit } from "../../lib/plan/state";
import { defaultSpec, runCli, tempDir } from "../util";

/**
 * `kubeforge plan` on the default cluster: the running cluster is the default at Kubernetes 1.34
 * (synthesized to a dist/ directory); the new spec is the default at 1.35 without worker-3.
 */
const t = tempDir("kubeforge-plan-cli-");
const dist = path.join(t.dir, "dist");
const specFile = path.join(t.dir, "kubeforge.yaml");

beforeAll(async () => {
  const old = defaultSpec();
  old.kubernetesVersion = "1.34";
  const oldFile = path.join(t.dir, "old.yaml");
  fs.writeFileSync(oldFile, stringify(old));
  expect((await runCli(["synth", "-c", oldFile, "-o", dist])).code).toBe(0);
  const next = defaultSpec();
  next.kubernetesVersion = "1.35";
  next.nodes = next.nodes.filter((n) => n.name !== "worker-3");
  fs.writeFileSync(specFile, stringify(next));
});
afterAll(() => t.cleanup());

describe("kubeforge plan", () => {
  it("records the version in dist/kubeforge.json", () => {
    const index = JSON.parse(fs.readFileSync(path.join(dist, "kubeforge.json"), "utf8")) as {
      kubernetesVersion: string;
    };
    expect(index.kubernetesVersion).toBe("1.34.4");
  });

  it("explains an upgrade and a removal: every node, its impact class, and the order", async () => {
    const r = await runCli(["plan", "--from", dist, "-c", specFile]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Kubernetes 1.34.4 → 1.35.1: upgrade");
    const line = (node: string) => r.out.split("\n").find((l) => l.startsWith(`  ${node} `)) ?? "";
    for (const cp of ["cp-1", "cp-2", "cp-3"]) {
      expect(line(cp)).toMatch(/changed\s+kubelet-restart/);
      expect(line(cp)).toContain("kube-apiserver");
    }
    for (const w of ["worker-1", "worker-2"])
      expect(line(w)).toMatch(/changed\s+kubelet-restart\s+\(worker; drain\)/);
    expect(line("worker-3")).toMatch(/removed\s+node-replacement/);
    const order = r.out
      .slice(r.out.indexOf("Rollout order:"))
      .split("\n")
      .filter((l) => /^\s+\d+\. /.test(l));
    expect(order.map((l) => /\] (\S+?):/.exec(l)?.[1] ?? /\[(\S+)\]/.exec(l)?.[1])).toStrictEqual([
      "cp-1",
      "cp-2",
      "cp-3",
      "worker-1",
      "worker-2",
      "worker-3",
      "cluster-objects",
    ]);
    expect(order[3]).toContain("drain worker-1 first");
    expect(order[5]).toContain("[removal]");
  });

  it("prints the same plan as JSON for CI", async () => {
    const r = await runCli(["plan", "--from", dist, "-c", specFile, "--json", "--max-unavailable", "2"]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out) as ClusterPlan;
    expect(plan.upgrade).toBe(true);
    expect(plan.nodes.map((n) => [n.name, n.status])).toStrictEqual([
      ["cp-1", "changed"],
      ["cp-2", "changed"],
      ["cp-3", "changed"],
      ["worker-1", "changed"],
      ["worker-2", "changed"],
      ["worker-3", "removed"],
    ]);
    expect(plan.steps.map((s) => [s.phase, s.nodes])).toStrictEqual([
      ["control-plane", ["cp-1"]],
      ["control-plane", ["cp-2"]],
      ["control-plane", ["cp-3"]],
      ["workers", ["worker-1", "worker-2"]],
      ["removal", ["worker-3"]],
      ["cluster-objects", []],
    ]);
    expect(plan.issues).toStrictEqual([]);
  });

  it("refuses removing two of three etcd members, after printing the plan (exit 1, ETCD_QUORUM_LOSS)", async () => {
    const spec = defaultSpec();
    spec.kubernetesVersion = "1.34";
    spec.nodes = spec.nodes.filter((n) => n.name !== "cp-2" && n.name !== "cp-3");
    delete spec.controlPlane;
    const file = path.join(t.dir, "shrink.yaml");
    fs.writeFileSync(file, stringify(spec));
    const r = await runCli(["plan", "--from", dist, "-c", file, "--json"]);
    expect(r.code).toBe(1);
    const plan = JSON.parse(r.out) as ClusterPlan;
    expect(plan.issues.map((i) => i.code)).toStrictEqual(["ETCD_QUORUM_LOSS"]);
    expect(r.err).toContain("[ETCD_QUORUM_LOSS]");
  });

  it("refuses a skipped minor (UPGRADE_SKIPS_MINOR) against an older dist", async () => {
    const old = defaultSpec();
    old.kubernetesVersion = "1.33";
    const oldFile = path.join(t.dir, "older.yaml");
    const olderDist = path.join(t.dir, "dist-133");
    fs.writeFileSync(oldFile, stringify(old));
    expect((await runCli(["synth", "-c", oldFile, "-o", olderDist])).code).toBe(0);
    const r = await runCli(["plan", "--from", olderDist]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("[UPGRADE_SKIPS_MINOR]");
  });

  it("needs exactly one previous state, and a dist/ directory (PLAN_INPUT)", async () => {
    const none = await runCli(["plan"]);
    expect(none.code).toBe(1);
    expect(none.err).toContain("--from-git");
    expect((await runCli(["plan", "--from", dist, "--from-git", "HEAD:x.yaml"])).code).toBe(1);
    const r = await runCli(["plan", "--from", t.dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("kubeforge.json");
  });

  it("reads a previous spec from git, and reports a bad ref as PLAN_INPUT", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as KubeforgeError).code;
      }
      return undefined;
    };
    expect(code(() => stateFromGit("no-colon"))).toBe("PLAN_INPUT");
    expect(code(() => stateFromGit("HEAD:does/not/exist.yaml", path.resolve(__dirname, "../..")))).toBe(
      "PLAN_INPUT",
    );
  });
});
