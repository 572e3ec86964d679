import { execFileSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { createCluster } from "../../stacks/provision";
import { defaultSpec } from "../util";
import { installMocks, type Registration, settle } from "./harness";

/**
 * Node removal under Pulumi's mocks. Mocks never delete, so the test reads the dependency graph the
 * engine receives and derives Pulumi's deletion order from it (a resource is deleted only after every
 * resource that depends on it): for a node that leaves the spec, `leave` (drain, delete the Node,
 * etcd member remove) must run before `reset` (wipe the host), and both before its delivery goes.
 */
const COMMAND = "command:remote:Command";
const connection = { user: "admin", port: 22, privateKey: "ssh-key", hostKeys: {} };
let registrations: Registration[];

function shellcheck(script: string): string {
  try {
    execFileSync("shellcheck", ["-"], { input: `#!/usr/bin/env bash\n${script}`, encoding: "utf8" });
    return "";
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

/** The script inside a remote command line (see remoteCommand). */
function scriptOf(command: unknown): string {
  const m = /bash -c '([\s\S]*)' kubeforge \w+$/.exec(String(command));
  if (!m?.[1]) throw new Error(`not a remote command: ${String(command).slice(0, 80)}`);
  return m[1].replace(/'\\''/g, "'");
}

/** Pulumi's deletion order of a set of resources: dependents first (reverse topological order). */
function deletionOrder(names: readonly string[]): string[] {
  const regs = names.map((n) => {
    const r = registrations.find((x) => x.type === COMMAND && x.name === n);
    if (!r) throw new Error(`no ${n}`);
    return r;
  });
  const order: string[] = [];
  const left = new Set(regs);
  for (let guard = 0; left.size > 0 && guard < 100; guard++) {
    for (const r of [...left]) {
      const dependents = [...left].filter((o) => o !== r && o.dependencies.includes(r.urn));
      if (dependents.length === 0) {
        order.push(r.name);
        left.delete(r);
      }
    }
  }
  return order;
}

beforeAll(async () => {
  registrations = await installMocks();
  const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
  createCluster("r", { spec: defaultSpec(), connection }, parent);
  await settle(registrations);
});

describe("removal commands", () => {
  it("delete an etcd member's node in order: leave, then reset, then the delivery", () => {
    expect(deletionOrder(["r-cp-3-deliver", "r-cp-3-reset", "r-cp-3-leave"])).toStrictEqual([
      "r-cp-3-leave",
      "r-cp-3-reset",
      "r-cp-3-deliver",
    ]);
    expect(deletionOrder(["r-worker-2-deliver", "r-worker-2-reset", "r-worker-2-leave"])).toStrictEqual([
      "r-worker-2-leave",
      "r-worker-2-reset",
      "r-worker-2-deliver",
    ]);
  });

  it("do nothing until deleted, and have no triggers, so a content change never replaces them", () => {
    for (const r of registrations.filter((x) => /-(leave|reset)$/.test(x.name))) {
      expect(r.inputs.create, r.name).toBe("true");
      expect(r.inputs.triggers, r.name).toBeUndefined();
      expect(typeof r.inputs.delete, r.name).toBe("string");
    }
  });

  it("leave runs on another control-plane node: drain, delete the Node, then etcdctl member remove", () => {
    const leave = registrations.find((r) => r.name === "r-cp-1-leave");
    const connection = leave?.inputs.connection as { secret?: { host: string } } & { host?: string };
    expect(connection.secret?.host ?? connection.host).toBe("192.0.2.12");
    const script = scriptOf(leave?.inputs.delete);
    const at = (s: string) => script.indexOf(s);
    expect(at('drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout=')).toBeGreaterThan(0);
    expect(at("delete node")).toBeGreaterThan(at('drain "$node"'));
    expect(at("member remove")).toBeGreaterThan(at("delete node"));
    expect(script).toContain("exec 'etcd-cp-2' -- etcdctl");
    expect(script).toContain("--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt");
    expect(shellcheck(script)).toBe("");
  });

  it("a worker's leave has no etcd step; every reset stops the kubelet and wipes the etcd data dir", () => {
    const leave = scriptOf(registrations.find((r) => r.name === "r-worker-1-leave")?.inputs.delete);
    expect(leave).not.toContain("etcdctl");
    expect(shellcheck(leave)).toBe("");
    const reset = scriptOf(registrations.find((r) => r.name === "r-cp-2-reset")?.inputs.delete);
    expect(reset).toContain("systemctl disable --now kubelet.service");
    expect(reset).toContain("'/var/lib/etcd'");
    expect(shellcheck(reset)).toBe("");
  });
});
