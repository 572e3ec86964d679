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
    { spec: spec("1.35"), connection, previous: stateFromSpec(spec("1.34"), "dist") },
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

  it("drains each worker after the control plane is ready, delivers it, uncordons it, then gates", () => {
    expect(deps("u-worker-1-drain")).toContain(urn("u-control-plane-ready"));
    expect(deps("u-worker-1-deliver")).toStrictEqual([urn("u-worker-1-drain")]);
    expect(deps("u-worker-1-uncordon")).toStrictEqual([urn("u-worker-1-deliver")]);
    expect(deps("u-workers-1-ready")).toStrictEqual([urn("u-worker-1-uncordon")]);
    expect(deps("u-worker-2-drain")).toStrictEqual([urn("u-workers-1-ready")]);
    // Control-plane nodes are not drained.
    expect(registrations.some((r) => r.name === "u-cp-1-drain")).toBe(false);
  });

  it("re-drains exactly when the kubelet or runtime version changes (the trigger is the drain key)", () => {
    const drain = registrations.find((r) => r.name === "u-worker-1-drain");
    expect(drain?.inputs.triggers).toStrictEqual([
      expect.stringMatching(/^containerd=\S+ kubelet=1\.35\.1 runc=\S+$/),
    ]);
    const script = scriptOf(drain?.inputs.create);
    expect(script).toContain("kubectl drain".replace("kubectl", "$K"));
    expect(script).toContain("--ignore-daemonsets --delete-emptydir-data --timeout=");
    expect(script).toContain("v1.35.1 containerd://");
    const uncordon = scriptOf(registrations.find((r) => r.name === "u-worker-1-uncordon")?.inputs.create);
    expect(uncordon).toContain('$K uncordon "$node"');
    for (const s of [script, uncordon]) {
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
