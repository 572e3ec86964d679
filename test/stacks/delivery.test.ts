import { execFileSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { paths } from "../../lib/paths";
import { ClusterModel } from "../../lib/spec/model";
import { resolveClusterSpec } from "../../lib/spec/validate";
import {
  deliveryScript,
  kubeletSecretDependencies,
  PAYLOAD_END,
  payload,
  podSecretDependencies,
  remoteCommand,
  secretFiles,
} from "../../stacks/delivery";
import { gateScript, nodeHealthChecks, nodeReady, rolloutPlan } from "../../stacks/order";
import type { IssuedPki } from "../../stacks/pki";
import { STATIC_POD_PORTS, synthesize } from "../../stacks/provision";
import { defaultSpec, nodeOf } from "../util";

const { cluster, rendered } = synthesize(defaultSpec());
const cp1 = nodeOf(rendered, "cp-1");

function shellcheck(script: string): string {
  try {
    execFileSync("shellcheck", ["-"], { input: script, encoding: "utf8" });
    return "";
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

describe("the delivery script", () => {
  const script = deliveryScript({
    node: "cp-1",
    podSecrets: podSecretDependencies(cp1),
    kubeletSecrets: kubeletSecretDependencies(cp1),
    podPorts: STATIC_POD_PORTS,
    bootstrap: true,
    checks: nodeHealthChecks(cluster.model, cluster.model.nodes[0] as never),
    gateOnCreate: false,
    healthTimeoutSeconds: 60,
  });

  it("passes shellcheck, and reaches bash intact through the remote command line", () => {
    expect(shellcheck(`#!/usr/bin/env bash\n${script}`)).toBe("");
    // The remote login shell (sh) must hand bash the script byte for byte.
    const command = remoteCommand(script, "update").replace(/^\$\(.*?\) bash -c /, "printf %s ");
    expect(command.endsWith(" kubeforge update")).toBe(true);
    expect(
      execFileSync("sh", ["-c", command.slice(0, -" kubeforge update".length)], { encoding: "utf8" }),
    ).toBe(script);
  });

  it("restarts each static pod for exactly the secrets it reads, directly or through its kubeconfig", () => {
    const deps = podSecretDependencies(cp1);
    expect(deps["kube-apiserver"]).toContain(paths.apiServerKey);
    expect(deps["kube-apiserver"]).toContain(paths.encryptionConfig);
    expect(deps["kube-apiserver"]).not.toContain(paths.controllerManagerClientKey);
    expect(deps["kube-controller-manager"]).toContain(paths.controllerManagerClientKey);
    expect(deps["kube-scheduler"]).toContain(paths.schedulerClientCert);
    expect(deps.etcd).toContain(paths.etcdPeerKey);
    expect(deps.etcd).not.toContain(paths.apiServerKey);
    expect(kubeletSecretDependencies(nodeOf(rendered, "worker-1")).sort()).toStrictEqual(
      [paths.caCert, paths.kubeletClientCurrent, paths.kubeletServingCert, paths.kubeletServingKey].sort(),
    );
  });

  it("waits for the node's health only on update for an etcd member", () => {
    expect(script).toContain('if [ "$MODE" = update ]; then');
    expect(script).toContain("https://127.0.0.1:2379/health");
    expect(script).toContain("https://192.0.2.11:6443/readyz");
  });
});

describe("the payload", () => {
  it("is one line per file with octal mode, owner and base64 content, then the end marker", () => {
    const text = payload([{ path: "/etc/a b", mode: 0o600, owner: "root:root", content: "x" }].slice(1));
    expect(text).toBe(`${PAYLOAD_END}\n`);
    expect(payload([{ path: "/etc/x", mode: 0o640, owner: "root:etcd", content: "key\n" }])).toBe(
      `/etc/x 0640 root:etcd ${Buffer.from("key\n").toString("base64")}\n${PAYLOAD_END}\n`,
    );
  });

  it("refuses a path with whitespace", () => {
    expect(() => payload([{ path: "/etc/a b", mode: 0o600, owner: "root:root", content: "" }])).toThrow(
      /whitespace/,
    );
  });
});

describe("secretFiles", () => {
  it("throws when a node lists a secret the stack does not issue", () => {
    const o = pulumi.output("");
    const pki: IssuedPki = {
      authorities: new Map(),
      leaves: new Map(),
      users: new Map(),
      serviceAccount: { privateKeyPem: o, publicKeyPem: o },
      encryptionKeyBase64: pulumi.output(Buffer.alloc(32).toString("base64")),
    };
    const node = { ...cp1, secretPaths: ["/etc/kubernetes/pki/unknown.key"] };
    const nodePlan = cluster.pki.nodes[0];
    if (!nodePlan) throw new Error("fixture");
    expect(() => secretFiles(node, cluster.pki, nodePlan, pki, { provider: "secretbox" })).toThrow(
      /unknown\.key/,
    );
  });
});

describe("rolloutPlan", () => {
  it("puts external etcd members first, then control-plane nodes, then workers in batches", () => {
    const spec = defaultSpec();
    spec.etcd = { topology: "external" };
    spec.nodes = [
      { name: "etcd-1", roles: ["etcd"], address: "192.0.2.31" },
      { name: "cp-1", roles: ["control-plane"], address: "192.0.2.11" },
      ...["w1", "w2", "w3", "w4", "w5"].map((name, i) => ({
        name,
        roles: ["worker" as const],
        address: `192.0.2.4${i}`,
      })),
    ];
    const model = new ClusterModel(resolveClusterSpec(spec));
    expect(rolloutPlan(model, 2)).toStrictEqual({
      etcd: ["etcd-1"],
      controlPlane: ["cp-1"],
      workerBatches: [["w1", "w2"], ["w3", "w4"], ["w5"]],
    });
  });

  it("gate scripts pass shellcheck", () => {
    expect(shellcheck(`#!/usr/bin/env bash\n${gateScript([nodeReady("worker-1")], 30)}`)).toBe("");
  });
});
