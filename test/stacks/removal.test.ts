import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GENERATION_FILE,
  generationRecord,
  MEMBERSHIP_RECORD,
  membershipInput,
  membershipScript,
  resetScript,
} from "../../lib/plan/node-ops";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import { createCluster } from "../../stacks/provision";
import { defaultSpec, tempDir } from "../util";
import { installMocks, type Registration, settle } from "./harness";

/**
 * Node removal under Pulumi's mocks. A node's only command is its delivery, whose `delete` resets
 * the host behind a generation guard; one membership command takes the nodes that left out of the
 * cluster. Mocks never delete, so the test registers the cluster before (`r`) and after (`s`)
 * worker-2 leaves the spec and derives Pulumi's steps: commands whose inputs changed run while the
 * program registers; commands no longer registered are deleted after that (stacks/order.ts explains
 * why). The scripts themselves run in bash against a temporary directory and a stand-in kubectl.
 */
const COMMAND = "command:remote:Command";
const connection = { user: "admin", port: 22, privateKey: "ssh-key", hostKeys: {} };
let registrations: Registration[];
let dir: string;

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

const commands = (prefix: string) =>
  new Map(
    registrations
      .filter((r) => r.type === COMMAND && r.name.startsWith(`${prefix}-`))
      .map((r) => [r.name.slice(prefix.length + 1), r]),
  );
const command = (name: string) => {
  const r = registrations.find((x) => x.type === COMMAND && x.name === name);
  if (!r) throw new Error(`no ${name}`);
  return r;
};

function withoutWorker2(): ClusterSpecInput {
  const spec = defaultSpec();
  spec.nodes = spec.nodes.filter((n) => n.name !== "worker-2");
  return spec;
}

beforeAll(async () => {
  registrations = await installMocks();
  const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
  createCluster("r", { spec: defaultSpec(), connection }, parent);
  createCluster("s", { spec: withoutWorker2(), connection }, parent);
  await settle(registrations);
  dir = tempDir().dir;
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the removal steps Pulumi derives", () => {
  it("re-run the membership command while registering, and delete only the leaving node's delivery", () => {
    const before = commands("r");
    const after = commands("s");
    const key = (r: Registration) => JSON.stringify([r.inputs.triggers, r.inputs.stdin, r.inputs.create]);
    const deleted = [...before.keys()].filter((k) => !after.has(k));
    const changed = [...after.keys()].filter((k) => {
      const old = before.get(k);
      return old !== undefined && key(old) !== key(after.get(k) as Registration);
    });
    // Batches shift with the worker count; only a node's delivery has a delete that does anything.
    expect(deleted.filter((k) => before.get(k)?.inputs.delete !== undefined)).toStrictEqual([
      "worker-2-deliver",
    ]);
    // Its triggers are the node lists, so it re-runs (replaced) in the registration phase.
    expect(changed).toContain("membership");
    expect(after.get("membership")?.inputs.triggers).toStrictEqual([
      "cp-1 cp-2 cp-3 worker-1 worker-3",
      "cp-1 cp-2 cp-3",
    ]);
    expect(after.get("membership")?.inputs.stdin).toBe(
      membershipInput(["cp-1", "cp-2", "cp-3", "worker-1", "worker-3"], ["cp-1", "cp-2", "cp-3"]),
    );
  });

  it("register no per-node leave or reset command: a node's removal is its delivery's delete", () => {
    expect(registrations.filter((r) => /-(leave|reset|uncordon)$/.test(r.name))).toStrictEqual([]);
    for (const r of registrations.filter((x) => x.type === COMMAND && x.name.endsWith("-deliver"))) {
      const generation = /^GENERATION='([0-9a-f]{64})'$/m.exec(scriptOf(r.inputs.create))?.[1];
      expect(generation, r.name).toBeDefined();
      const reset = scriptOf(r.inputs.delete);
      expect(reset, r.name).toContain(`GENERATION='${generation}'`);
      expect(reset, r.name).toContain("systemctl disable --now kubelet.service");
      expect(reset, r.name).toContain("'/var/lib/etcd'");
      // Without triggers, a content change updates the delivery: its delete never runs for it.
      expect(r.inputs.triggers, r.name).toBeUndefined();
    }
    expect(shellcheck(scriptOf(command("r-cp-2-deliver").inputs.delete))).toBe("");
    expect(shellcheck(scriptOf(command("r-worker-1-deliver").inputs.create))).toBe("");
  });

  it("run the membership command on the first control-plane node, after the last gate, before the add-ons", () => {
    const membership = command("r-membership");
    const c = membership.inputs.connection as { secret?: { host: string } };
    expect(c.secret?.host).toBe("192.0.2.11");
    expect(membership.dependencies).toContain(command("r-workers-3-ready").urn);
    expect(membership.inputs.delete).toBeUndefined();
    const script = scriptOf(membership.inputs.create);
    const at = (s: string) => script.indexOf(s);
    expect(at('$K drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout=')).toBeGreaterThan(0);
    expect(at('$K delete node "$node"')).toBeGreaterThan(at('$K drain "$node"'));
    expect(at('etcdctl member remove "$id"')).toBeGreaterThan(at('$K delete node "$node"'));
    expect(at(`create configmap ${MEMBERSHIP_RECORD}`)).toBeGreaterThan(at("etcdctl member remove"));
    expect(script).toContain("exec 'etcd-cp-1' -- etcdctl");
    expect(script).toContain("--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt");
    expect(shellcheck(script)).toBe("");
    expect(shellcheck(membershipScript({ timeoutSeconds: 30 }))).toBe("");
  });
});

/** A stand-in kubectl: logs its arguments and answers from the files of a scenario directory. */
const FAKE_KUBECTL = `#!/usr/bin/env bash
set -euo pipefail
echo "$*" >>"$SCENARIO/log"
args=" $* "
case "$args" in
  *" get configmap "*) cat "$SCENARIO/recorded" 2>/dev/null || true ;;
  *" get node "*" --ignore-not-found -o name "*)
    for n in $(cat "$SCENARIO/nodes"); do [[ "$args" == *" get node $n "* ]] && echo "node/$n"; done; true ;;
  *" member list "*) cat "$SCENARIO/members" ;;
  *" apply -f - "*) cat >"$SCENARIO/applied" ;;
  *" create configmap "*) f="\${args##*--from-file=nodes=}"; f="\${f%% *}"; cat "$f" ;;
  *) ;;
esac
`;

interface Scenario {
  readonly recorded: readonly string[];
  readonly registered: readonly string[];
  readonly members: readonly string[];
  readonly stdin: string;
}

/** Runs the membership script with the stand-in kubectl; returns its exit code, the calls and the record. */
function runMembership(name: string, s: Scenario) {
  const scenario = path.join(dir, name);
  fs.mkdirSync(path.join(scenario, "bin"), { recursive: true });
  fs.writeFileSync(path.join(scenario, "bin", "kubectl"), FAKE_KUBECTL, { mode: 0o755 });
  fs.writeFileSync(path.join(scenario, "recorded"), s.recorded.join("\n"));
  fs.writeFileSync(path.join(scenario, "nodes"), s.registered.join("\n"));
  fs.writeFileSync(
    path.join(scenario, "members"),
    s.members
      .map(
        (m, i) =>
          `${(0x8e9e05c52164 + i).toString(16)}, started, ${m}, https://x:2380, https://x:2379, false`,
      )
      .join("\n"),
  );
  const result = spawnSync("bash", ["-c", membershipScript({ etcdVia: "cp-1", timeoutSeconds: 10 })], {
    input: s.stdin,
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, SCENARIO: scenario, PATH: `${path.join(scenario, "bin")}:${process.env.PATH}` },
  });
  const log = fs.existsSync(path.join(scenario, "log"))
    ? fs.readFileSync(path.join(scenario, "log"), "utf8")
    : "";
  const applied = path.join(scenario, "applied");
  return {
    status: result.status,
    calls: log.split("\n").filter((l) => / (drain|delete|member remove|apply)/.test(l)),
    record: fs.existsSync(applied) ? fs.readFileSync(applied, "utf8").trim().split("\n") : undefined,
  };
}

describe("the membership script (bash, stand-in kubectl)", () => {
  const spec = ["cp-1", "cp-2", "cp-3", "worker-1", "worker-3"];
  const etcd = ["cp-1", "cp-2", "cp-3"];

  it("drains and deletes only recorded nodes that left the spec, then records the spec", () => {
    const run = runMembership("worker-left", {
      recorded: [...spec, "worker-2"],
      registered: [...spec, "worker-2", "autoscaled-1"],
      members: etcd,
      stdin: membershipInput(spec, etcd),
    });
    expect(run.status).toBe(0);
    expect(run.calls.map((c) => c.replace(/^--kubeconfig \S+ --request-timeout=30s /, ""))).toStrictEqual([
      "drain worker-2 --ignore-daemonsets --delete-emptydir-data --timeout=10s",
      "delete node worker-2 --ignore-not-found --timeout=10s",
      "apply -f -",
    ]);
    expect(run.record).toStrictEqual(spec);
  });

  it("removes an etcd member that left the spec, and refuses a removal that loses quorum", () => {
    const members = ["cp-1", "cp-2", "cp-3", "cp-4", "cp-5"];
    const ok = runMembership("member-left", {
      recorded: [...spec, "cp-4", "cp-5"],
      registered: spec,
      members,
      stdin: membershipInput(spec, etcd),
    });
    expect(ok.status).toBe(0);
    expect(ok.calls.filter((c) => c.includes("member remove")).length).toBe(2);
    const refused = runMembership("quorum", {
      recorded: spec,
      registered: spec,
      members,
      stdin: membershipInput(spec, ["cp-1", "cp-2"]),
    });
    expect(refused.status).toBe(1);
    expect(refused.calls.filter((c) => c.includes("member remove") || c.includes("apply"))).toStrictEqual([]);
  });

  it("removes nothing and records nothing when the node list is truncated", () => {
    const run = runMembership("truncated", {
      recorded: spec,
      registered: spec,
      members: etcd,
      stdin: membershipInput(spec, etcd).replace(/#kubeforge-end\n$/, ""),
    });
    expect(run.status).toBe(1);
    expect(run.calls).toStrictEqual([]);
    expect(run.record).toBeUndefined();
  });
});

describe("the reset guard (bash, temporary generation file)", () => {
  /** A delivery's record step, or its delete with the destructive part replaced by a marker. */
  const host = (name: string) => {
    const file = path.join(dir, `${name}.generation`);
    const at = (script: string) => script.split(GENERATION_FILE).join(file);
    const run = (script: string, mode: string) =>
      execFileSync("bash", ["-c", at(script), "kubeforge", mode], { encoding: "utf8" });
    return {
      deliver: (generation: string, mode: "create" | "update") =>
        run(["set -euo pipefail", 'MODE="$1"', ...generationRecord(generation)].join("\n"), mode),
      remove: (generation: string) => {
        const reset = resetScript({
          node: "w",
          generation,
          etcdDataDir: "/var/lib/etcd",
          timeoutSeconds: 10,
        });
        const guard = reset.slice(0, reset.indexOf("install -d -m 0700 /var/lib/kubeforge/removed"));
        return run(`${guard}echo RESET\n`, "delete").includes("RESET");
      },
    };
  };

  it("resets a host whose delivery is deleted because the node left", () => {
    const h = host("removed");
    h.deliver("a", "create");
    h.deliver("a", "update"); // a certificate renewal re-runs the same delivery
    expect(h.remove("a")).toBe(true);
  });

  it("keeps a host whose recorded generation is another delivery's, or that has none", () => {
    const h = host("replaced");
    expect(h.remove("a")).toBe(false);
    h.deliver("a", "create");
    h.deliver("b", "create");
    expect(h.remove("a")).toBe(false);
    expect(h.remove("b")).toBe(true);
  });

  it("keeps a host re-created with the same content until the last copy is deleted", () => {
    const h = host("same");
    h.deliver("a", "create");
    h.deliver("a", "create"); // pulumi up --replace: the new copy is created before the old is deleted
    expect(h.remove("a")).toBe(false);
    expect(h.remove("a")).toBe(true);
  });
});
