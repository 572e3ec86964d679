import { execFileSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { SpecValidationError } from "../../lib/errors";
import { stateFromSpec } from "../../lib/plan/state";
import { createCluster } from "../../stacks/provision";
import { defaultSpec } from "../util";
import { installMocks, type Registration, settle } from "./harness";

/** Upgrades under Pulumi's mocks: the skew check with a known previous state, and drain/uncordon order. */
const COMMAND = "command:remote:Command";
const connection = { user: "admin", port: 22, privateKey: "ssh-key", hostKeys: {} };
let registrations: Registration[];

/** The default cluster; with two workers per batch: batches [worker-1, worker-2], [worker-3]. */
const spec = (version: string) => {
  const s = defaultSpec();
  s.kubernetesVersion = version;
  return s;
};
const urn = (name: string) =>
  registrations.find((r) => r.type === COMMAND && r.name === name)?.urn ?? `missing ${name}`;
/** Dependencies on other commands (inputs also depend on the PKI resources they read). */
const deps = (name: string) =>
  (registrations.find((r) => r.type === COMMAND && r.name === name)?.dependencies ?? []).filter((d) =>
    d.includes(`${COMMAND}::`),
  );
const scriptOf = (command: unknown) =>
  (/bash -c '([\s\S]*)' kubeforge \w+$/.exec(String(command))?.[1] ?? "").replace(/'\\''/g, "'");

beforeAll(async () => {
  registrations = await installMocks();
  const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
  createCluster(
    "u",
    {
      spec: spec("1.35"),
      connection,
      rollout: { maxUnavailable: 2 },
      previous: stateFromSpec(spec("1.34"), "dist"),
    },
    parent,
  );
  await settle(registrations);
});

describe("an upgrade under Pulumi", () => {
  it("refuses a skipped minor before registering anything for it", () => {
    const parent = new pulumi.ComponentResource("test:index:Parent", "refused");
    const count = registrations.length;
    let error: unknown;
    try {
      createCluster(
        "x",
        { spec: spec("1.35"), connection, previous: stateFromSpec(spec("1.33"), "dist") },
        parent,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecValidationError);
    expect((error as SpecValidationError).codes).toStrictEqual(["UPGRADE_SKIPS_MINOR"]);
    expect(registrations.slice(count).filter((r) => r.name.startsWith("x-"))).toStrictEqual([]);
  });

  it("drains a batch after the control plane is ready, delivers it, gates and uncordons it, then the next", () => {
    expect(deps("u-workers-1-drain")).toContain(urn("u-control-plane-ready"));
    expect(deps("u-worker-1-deliver")).toStrictEqual([urn("u-workers-1-drain")]);
    expect(deps("u-worker-2-deliver")).toStrictEqual([urn("u-workers-1-drain")]);
    expect([...deps("u-workers-1-ready")].sort()).toStrictEqual(
      [urn("u-worker-1-deliver"), urn("u-worker-2-deliver")].sort(),
    );
    expect(deps("u-workers-2-drain")).toStrictEqual([urn("u-workers-1-ready")]);
    expect(deps("u-worker-3-deliver")).toStrictEqual([urn("u-workers-2-drain")]);
    expect(deps("u-workers-2-ready")).toStrictEqual([urn("u-worker-3-deliver")]);
    // Control-plane nodes are not drained, and no worker has a drain or uncordon of its own.
    expect(
      registrations
        .filter((r) => /-(drain|uncordon)$/.test(r.name))
        .map((r) => r.name)
        .sort(),
    ).toStrictEqual(["u-workers-1-drain", "u-workers-2-drain"]);
  });

  it("re-drains exactly when a node's kubelet or runtime version changes (the triggers are the drain keys)", () => {
    const drain = registrations.find((r) => r.name === "u-workers-1-drain");
    expect(drain?.inputs.triggers).toStrictEqual(
      ["worker-1", "worker-2"].map((n) =>
        expect.stringMatching(new RegExp(`^${n} containerd=\\S+ kubelet=1\\.35\\.1 runc=\\S+$`)),
      ),
    );
    const script = scriptOf(drain?.inputs.create);
    // Every node to drain is cordoned before any drain starts, so evicted pods avoid the batch.
    expect(script).toContain("consider 'worker-1' 'v1.35.1 containerd://");
    expect(script).toContain("consider 'worker-2' 'v1.35.1 containerd://");
    expect(script).not.toContain("worker-3");
    expect(script.indexOf('$K cordon "$node"')).toBeLessThan(script.indexOf("$K drain"));
    expect(script).toContain("--ignore-daemonsets --delete-emptydir-data --timeout=");
    const gate = registrations.find((r) => r.name === "u-workers-1-ready");
    const uncordon = scriptOf(gate?.inputs.update);
    expect(uncordon.indexOf('$K uncordon "$node"')).toBeGreaterThan(uncordon.indexOf("wait_for "));
    expect(uncordon).toContain("kubeforge\\.io/drained");
    expect(uncordon).toContain("uncordon 'worker-2'");
    for (const s of [script, uncordon, scriptOf(gate?.inputs.create)]) {
      expect(
        execFileSync("shellcheck", ["-"], { input: `#!/usr/bin/env bash\n${s}`, encoding: "utf8" }),
      ).toBe("");
    }
  });
});

describe("restarts in the delivery script follow lib/plan's classification", () => {
  it("restarts a static pod when a node file it reads changes, not only a secret", async () => {
    const { deliveryScript, podDependencies, kubeletSecretDependencies } = await import(
      "../../stacks/delivery"
    );
    const { STATIC_POD_PORTS } = await import("../../stacks/provision");
    const { render, nodeOf } = await import("../util");
    const cp1 = nodeOf(render(defaultSpec()).rendered, "cp-1");
    const pods = podDependencies(cp1);
    expect(pods["kube-apiserver"]).toContain("/etc/kubernetes/kubeforge/audit-policy.yaml");
    expect(pods["kube-apiserver"]).toContain("/etc/kubernetes/pki/apiserver.key");
    const script = deliveryScript({
      node: "cp-1",
      podSecrets: pods,
      kubeletSecrets: kubeletSecretDependencies(cp1),
      podPorts: STATIC_POD_PORTS,
      bootstrap: true,
      checks: [],
      gateOnCreate: false,
      healthTimeoutSeconds: 60,
    });
    expect(script).toContain("'/etc/kubernetes/kubeforge/audit-policy.yaml'");
    expect(script.indexOf('deps_before="$(dep_sums)"')).toBeLessThan(
      script.indexOf("kubeforge-bootstrap.sh"),
    );
    expect(script.indexOf('deps_after="$(dep_sums)"')).toBeGreaterThan(
      script.indexOf("kubeforge-bootstrap.sh"),
    );
    expect(
      execFileSync("shellcheck", ["-"], { input: `#!/usr/bin/env bash\n${script}`, encoding: "utf8" }),
    ).toBe("");
  });
});
