import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { synthesize } from "../../stacks/provision";
import { find, installMocks, MOCK_NOT_AFTER, type Registration, resolved, settle } from "./harness";

/**
 * The program Pulumi.yaml names, run under Pulumi's mock runtime with the example stack config
 * (Pulumi.dev.yaml) plus an SSH key: the registered graph, the rollout order, the add-ons.
 */
const root = path.resolve(__dirname, "../..");
const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
  name: string;
  runtime: { name: string; options: Record<string, unknown> };
  main: string;
};
const stackConfig = parse(fs.readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")) as {
  config: Record<string, unknown>;
};
/** A throwaway SSH key, made per run so no key material is committed. */
const SSH_KEY = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();

let registrations: Registration[];
let program: Record<string, pulumi.Output<unknown>>;

beforeAll(async () => {
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(stackConfig.config))
    config[k] = typeof v === "string" ? v : JSON.stringify(v);
  const connection = stackConfig.config["kubeforge:connection"] as Record<string, unknown>;
  config["kubeforge:connection"] = JSON.stringify({ ...connection, privateKey: SSH_KEY });
  registrations = await installMocks(config);
  program = await import(path.join(root, project.main));
  await settle(registrations);
});

const COMMAND = "command:remote:Command";
const byName = (name: string) => registrations.find((r) => r.name === name);
/** The commands a resource waits for (its other dependencies are the PKI it reads). */
const commandDeps = (r: Registration) => r.dependencies.filter((d) => d.includes(`$${COMMAND}::`));
const urnOf = (type: string, name: string) => find(registrations, type, name).urn;

describe("Pulumi.yaml", () => {
  it("is a nodejs project whose main is the program under test, run through tsx", () => {
    expect(project.name).toBe("kubeforge");
    expect(project.runtime).toStrictEqual({
      name: "nodejs",
      options: { typescript: false, nodeargs: "--import tsx" },
    });
    expect(fs.existsSync(path.join(root, project.main))).toBe(true);
    expect(Object.keys(program).sort()).toStrictEqual(
      ["caCertificate", "certificateExpiry", "endpoint", "kubeconfig", "nodes", "userData"].sort(),
    );
  });
});

describe("the registered graph", () => {
  it("has one kubeforge:index:Cluster that parents every other resource but the add-on objects", () => {
    const components = registrations.filter((r) => r.type === "kubeforge:index:Cluster");
    expect(components.map((c) => c.name)).toStrictEqual(["kubeforge"]);
    const cluster = components[0]?.urn ?? "";
    const groups = new Set(
      registrations.filter((r) => r.type === "kubernetes:yaml:ConfigGroup").map((r) => r.urn),
    );
    for (const r of registrations) {
      if (r.type === "kubeforge:index:Cluster" || r.type === "pulumi:pulumi:Stack") continue;
      expect(r.parent === cluster || groups.has(r.parent), `${r.type} ${r.name}`).toBe(true);
    }
  });

  it("registers the PKI, one delivery per node, the gates, a provider and the add-ons", () => {
    const count = (type: string) => registrations.filter((r) => r.type === type).length;
    const { cluster } = synthesize(stackConfig.config["kubeforge:spec"] as never);
    const leaves =
      cluster.pki.nodes.reduce((n, p) => n + p.certificates.length, 0) + cluster.pki.users.length;
    expect(count("tls:index/selfSignedCert:SelfSignedCert")).toBe(3);
    expect(count("tls:index/locallySignedCert:LocallySignedCert")).toBe(leaves);
    expect(count("tls:index/certRequest:CertRequest")).toBe(leaves);
    // One key per CA and per leaf, except that each node's two kubelet certificates share one
    // (keyGroup "kubelet"), plus the service-account key.
    expect(count("tls:index/privateKey:PrivateKey")).toBe(3 + leaves - cluster.pki.nodes.length + 1);
    expect(count("random:index/randomBytes:RandomBytes")).toBe(1);
    expect(count("pulumi:providers:kubernetes")).toBe(1);
    const commands = registrations.filter((r) => r.type === COMMAND).map((r) => r.name);
    expect(commands.sort()).toStrictEqual(
      [
        // Per node, only its delivery; drains and uncordons are per batch, removals per cluster.
        ...["cp-1", "cp-2", "cp-3", "worker-1", "worker-2"].map((n) => `kubeforge-${n}-deliver`),
        "kubeforge-control-plane-ready",
        "kubeforge-workers-1-drain",
        "kubeforge-workers-1-ready",
        "kubeforge-workers-2-drain",
        "kubeforge-workers-2-ready",
        "kubeforge-membership",
      ].sort(),
    );
  });
});

describe("the rollout order", () => {
  const chain = [
    "kubeforge-cp-1-deliver",
    "kubeforge-cp-2-deliver",
    "kubeforge-cp-3-deliver",
    "kubeforge-control-plane-ready",
    "kubeforge-workers-1-drain",
    "kubeforge-worker-1-deliver",
    "kubeforge-workers-1-ready",
    "kubeforge-workers-2-drain",
    "kubeforge-worker-2-deliver",
    "kubeforge-workers-2-ready",
    "kubeforge-membership",
  ];

  it("chains control-plane nodes one at a time, then the readiness gate, then workers batch by batch", () => {
    for (let i = 1; i < chain.length; i++) {
      const r = find(registrations, COMMAND, chain[i] ?? "");
      expect(commandDeps(r), `${chain[i]} waits for ${chain[i - 1]}`).toStrictEqual([
        urnOf(COMMAND, chain[i - 1] ?? ""),
      ]);
    }
    expect(commandDeps(find(registrations, COMMAND, "kubeforge-cp-1-deliver"))).toStrictEqual([]);
  });

  it("applies every add-on object only after the last gate and the membership command", () => {
    const last = urnOf(COMMAND, "kubeforge-membership");
    const groups = registrations.filter((r) => r.type === "kubernetes:yaml:ConfigGroup");
    expect(groups.length).toBeGreaterThan(0);
    const children = registrations.filter((r) => groups.some((g) => g.urn === r.parent));
    expect(children.length).toBeGreaterThan(0);
    for (const r of [...groups, ...children]) expect(r.dependencies, r.name).toContain(last);
  });

  it("gates the first worker batch on registration at create and on Ready at update", () => {
    const gate = find(registrations, COMMAND, "kubeforge-workers-1-ready").inputs;
    // Each script is the health gate, then the uncordon of the nodes the batch's drain cordoned.
    const [createGate, createUncordon] = String(gate.create).split("uncordon() {");
    const [updateGate, updateUncordon] = String(gate.update).split("uncordon() {");
    expect(createGate).toContain("kubectl --kubeconfig /etc/kubernetes/admin.conf get node worker-1");
    expect(createGate).not.toContain("Ready");
    expect(updateGate).toContain('@.type=="Ready"');
    for (const uncordon of [createUncordon, updateUncordon]) {
      expect(uncordon).toContain("uncordon '\\''worker-1'\\''");
      expect(uncordon).not.toContain("worker-2");
    }
  });
});

describe("the add-ons", () => {
  it("are the synthesized cluster objects, one ConfigGroup child per object with the same content", () => {
    const { rendered } = synthesize(stackConfig.config["kubeforge:spec"] as never);
    for (const file of rendered.clusterObjects) {
      const group = byName(`kubeforge-${file.name.replace(/\.yaml$/, "")}`);
      expect(group?.type).toBe("kubernetes:yaml:ConfigGroup");
      const children = registrations.filter((r) => r.parent === group?.urn);
      const key = (o: Record<string, unknown>) => {
        const m = o.metadata as { name: string; namespace?: string };
        return `${o.apiVersion}/${o.kind}/${m.namespace ?? ""}/${m.name}`;
      };
      expect(children.map((c) => key(c.inputs)).sort()).toStrictEqual(file.objects.map(key).sort());
      for (const object of file.objects) {
        const child = children.find((c) => key(c.inputs) === key(object));
        expect(child?.inputs).toStrictEqual(JSON.parse(JSON.stringify(object)));
      }
    }
  });
});

describe("the stack outputs", () => {
  it("exports the endpoint, the CA, every certificate's notAfter and the nodes", async () => {
    expect(await resolved(program.endpoint as pulumi.Output<string>)).toBe("https://192.0.2.10:6443");
    expect(await resolved(program.caCertificate as pulumi.Output<string>)).toContain("BEGIN CERTIFICATE");
    const expiry = (await resolved(program.certificateExpiry as pulumi.Output<Record<string, string>>)) ?? {};
    const { cluster } = synthesize(stackConfig.config["kubeforge:spec"] as never);
    const expected = [
      ...cluster.pki.authorities.map((a) => `ca/${a.id}`),
      ...cluster.pki.nodes.flatMap((n) => n.certificates.map((c) => `${n.node}/${c.id}`)),
      ...cluster.pki.users.map((u) => `user/${u.id}`),
    ];
    expect(Object.keys(expiry).sort()).toStrictEqual(expected.sort());
    expect(new Set(Object.values(expiry))).toStrictEqual(new Set([MOCK_NOT_AFTER]));
    const nodes = (await resolved(program.nodes as pulumi.Output<{ name: string }[]>)) ?? [];
    expect(nodes.map((n) => n.name)).toStrictEqual(["cp-1", "cp-2", "cp-3", "worker-1", "worker-2"]);
  });

  it("marks the kubeconfig and the user data secret, and nothing public as secret", async () => {
    expect(await pulumi.isSecret(program.kubeconfig as pulumi.Output<string>)).toBe(true);
    expect(await pulumi.isSecret(program.userData as pulumi.Output<unknown>)).toBe(true);
    expect(await pulumi.isSecret(program.caCertificate as pulumi.Output<string>)).toBe(false);
    expect(await pulumi.isSecret(program.endpoint as pulumi.Output<string>)).toBe(false);
  });

  it("sends every delivery payload and SSH key as a secret", () => {
    for (const r of registrations.filter((x) => x.type === COMMAND)) {
      // Pulumi serializes an object holding a secret as a secret as a whole.
      const connection = r.inputs.connection as { secret: { privateKey: unknown; host: string } };
      expect(connection.secret.privateKey, r.name).toBe(SSH_KEY);
      if (r.name.endsWith("-deliver")) expect(r.inputs.stdin, r.name).toHaveProperty("secret");
    }
  });
});
