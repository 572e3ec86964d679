import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { KubeforgeError } from "../../lib/errors";
import { paths } from "../../lib/paths";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import { earlyRenewalHours, TLS_USAGE } from "../../stacks/pki";
import { createCluster, type ProvisionedCluster } from "../../stacks/provision";
import { defaultSpec, singleNodeSpec } from "../util";
import { installMocks, type Registration, resolved, settle } from "./harness";

/**
 * createCluster called directly (as the component does) for three clusters in one mock runtime:
 * `a` (the default spec), `b` (the same with one worker's labels changed) and `c` (cloud-init only).
 */
const connection = { user: "admin", port: 22, privateKey: "ssh-key", hostKeys: {} };
let registrations: Registration[];
let a: ProvisionedCluster;
let c: ProvisionedCluster;

/** One control-plane node and three workers: enough for batches, small enough to keep the test fast. */
function smallSpec(): ClusterSpecInput {
  const spec = defaultSpec();
  spec.nodes = spec.nodes.filter((n) => n.name === "cp-1" || n.name.startsWith("worker-"));
  return spec;
}

function changedWorkerSpec(): ClusterSpecInput {
  const spec = smallSpec();
  const worker = spec.nodes.find((n) => n.name === "worker-2");
  if (!worker) throw new Error("fixture");
  worker.labels = { "example.com/pool": "batch" };
  return spec;
}

beforeAll(async () => {
  registrations = await installMocks();
  const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
  a = createCluster("a", { spec: smallSpec(), connection }, parent);
  createCluster("b", { spec: changedWorkerSpec(), connection }, parent);
  c = createCluster("c", { spec: singleNodeSpec(), transport: "cloud-init" }, parent);
  await settle(registrations);
});

const inputsOf = (type: string, name: string) => {
  const r = registrations.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r.inputs;
};

describe("secrets", () => {
  it("marks every private key, the encryption key, both kubeconfigs and the user data secret", async () => {
    const outputs: [string, pulumi.Output<unknown>][] = [
      ["kubeconfig", a.kubeconfig],
      ["superAdminKubeconfig", a.superAdminKubeconfig],
      ["userData", a.userData],
      ["encryptionKey", a.pki.encryptionKeyBase64],
      ["serviceAccount", a.pki.serviceAccount.privateKeyPem],
      ...[...a.pki.authorities].map(([id, p]): [string, pulumi.Output<unknown>] => [id, p.keyPem]),
      ...[...a.pki.leaves].map(([id, p]): [string, pulumi.Output<unknown>] => [id, p.keyPem]),
      ...[...a.pki.users].map(([id, p]): [string, pulumi.Output<unknown>] => [id, p.keyPem]),
    ];
    expect(outputs.length).toBeGreaterThan(20);
    for (const [name, output] of outputs) expect(await pulumi.isSecret(output), name).toBe(true);
    expect(await pulumi.isSecret(a.caCertificate)).toBe(false);
  });

  it("builds the admin kubeconfig with embedded credentials for the RBAC-bound admin identity", async () => {
    const doc = parse(await resolved(a.kubeconfig)) as {
      clusters: { cluster: Record<string, string> }[];
      users: { name: string; user: Record<string, string> }[];
    };
    expect(doc.clusters[0]?.cluster.server).toBe("https://192.0.2.10:6443");
    expect(Object.keys(doc.users[0]?.user ?? {}).sort()).toStrictEqual([
      "client-certificate-data",
      "client-key-data",
    ]);
    expect(doc.users[0]?.name).toBe("kubeforge-admin");
  });

  it("delivers the EncryptionConfiguration with the random key, inside the secret payload only", async () => {
    const stdin = inputsOf("command:remote:Command", "a-cp-1-deliver").stdin as { secret: string };
    const line = stdin.secret.split("\n").find((l) => l.startsWith(`${paths.encryptionConfig} `));
    const [, mode, owner, data] = line?.split(" ") ?? [];
    expect([mode, owner]).toStrictEqual(["0600", "root:root"]);
    const config = parse(Buffer.from(data ?? "", "base64").toString("utf8")) as {
      resources: { providers: Record<string, { keys: { secret: string }[] }>[] }[];
    };
    expect(config.resources[0]?.providers[0]?.secretbox?.keys[0]?.secret).toBe(
      Buffer.alloc(32, 7).toString("base64"),
    );
    const script = String(inputsOf("command:remote:Command", "a-cp-1-deliver").create);
    expect(script).not.toContain(Buffer.alloc(32, 7).toString("base64"));
  });
});

describe("the @pulumi/tls inputs", () => {
  it("equal the PKI plan: subjects, SANs, usages, validity and early renewal", () => {
    const plan = a.cluster.pki;
    for (const ca of plan.authorities) {
      const args = inputsOf("tls:index/selfSignedCert:SelfSignedCert", `a-${ca.id}`);
      expect(args.subject).toStrictEqual({ commonName: ca.commonName });
      expect(args.isCaCertificate).toBe(true);
      expect(args.allowedUses).toStrictEqual(ca.keyUsages.map((u) => TLS_USAGE[u]));
      expect(args.validityPeriodHours).toBe(ca.validityDays * 24);
      expect(args.earlyRenewalHours).toBe(earlyRenewalHours(ca.validityDays));
    }
    const leaves = [
      ...plan.nodes.flatMap((n) => n.certificates.map((cert) => ({ name: `a-${n.node}-${cert.id}`, cert }))),
      ...plan.users.map((cert) => ({ name: `a-user-${cert.id}`, cert })),
    ];
    for (const { name, cert } of leaves) {
      const csr = inputsOf("tls:index/certRequest:CertRequest", `${name}-csr`);
      const subject: Record<string, string> = { commonName: cert.commonName };
      if (cert.organizations[0]) subject.organization = cert.organizations[0];
      expect(csr.subject, name).toStrictEqual(subject);
      expect(csr.dnsNames ?? [], name).toStrictEqual(cert.dnsNames);
      expect(csr.ipAddresses ?? [], name).toStrictEqual(cert.ipAddresses);
      const signed = inputsOf("tls:index/locallySignedCert:LocallySignedCert", name);
      expect(signed.allowedUses, name).toStrictEqual(
        [...cert.keyUsages, ...cert.extendedKeyUsages].map((u) => TLS_USAGE[u]),
      );
      expect(signed.validityPeriodHours).toBe(cert.validityDays * 24);
      expect(signed.earlyRenewalHours).toBe(earlyRenewalHours(cert.validityDays));
      const keyName = cert.keyGroup ? name.replace(cert.id, cert.keyGroup) : name;
      expect(inputsOf("tls:index/privateKey:PrivateKey", `${keyName}-key`)).toStrictEqual({
        algorithm: "ECDSA",
        ecdsaCurve: "P256",
      });
    }
  });

  it("renews a year-long leaf 30 days ahead and a short one a third of its life ahead", () => {
    expect(earlyRenewalHours(365)).toBe(720);
    expect(earlyRenewalHours(3650)).toBe(720);
    expect(earlyRenewalHours(30)).toBe(240);
  });
});

describe("changes", () => {
  /** What makes Pulumi re-run a command: its triggers (replace) and its scripts (update). */
  const commands = (prefix: string) =>
    new Map(
      registrations
        .filter((r) => r.type === "command:remote:Command" && r.name.startsWith(`${prefix}-`))
        .map((r) => {
          const { triggers, create, update, delete: del } = r.inputs;
          return [r.name.slice(prefix.length + 1), JSON.stringify({ triggers, create, update, del })];
        }),
    );

  it("re-run only the changed worker's delivery and its batch's gate", () => {
    const before = commands("a");
    const after = commands("b");
    expect([...after.keys()].sort()).toStrictEqual([...before.keys()].sort());
    const changed = [...before.keys()].filter((k) => before.get(k) !== after.get(k)).sort();
    // The batch drain only re-runs for new kubelet/runtime versions; the membership for new node lists.
    expect(changed).toStrictEqual(["worker-2-deliver", "workers-2-ready"]);
  });

  it("update a delivery in place: no triggers, and its scripts carry the node's content hash", () => {
    const generation = (prefix: string, node: string) => {
      const deliver = inputsOf("command:remote:Command", `${prefix}-${node}-deliver`);
      expect(deliver.triggers, `${prefix}-${node}`).toBeUndefined();
      const found = [deliver.create, deliver.update, deliver.delete].map(
        // The script is single-quoted inside the command line: undo the quoting of its own quotes.
        (script) => /GENERATION='([0-9a-f]{64})'/.exec(String(script).replace(/'\\''/g, "'"))?.[1],
      );
      expect(new Set(found).size, `${prefix}-${node}: one generation in all three scripts`).toBe(1);
      return found[0];
    };
    const hash = (node: string) => a.nodes.find((n) => n.name === node)?.contentHash;
    expect(generation("a", "worker-2")).toBe(hash("worker-2"));
    expect(generation("a", "cp-1")).toBe(hash("cp-1"));
    expect(generation("b", "worker-2")).not.toBe(generation("a", "worker-2"));
    expect(generation("b", "worker-1")).toBe(generation("a", "worker-1"));
  });
});

describe("the cloud-init transport", () => {
  it("registers no SSH command and no add-ons without a connection, and outputs user data with secrets", async () => {
    expect(registrations.some((r) => r.name.startsWith("c-") && r.type === "command:remote:Command")).toBe(
      false,
    );
    expect(
      registrations.some((r) => r.name.startsWith("c-") && r.type === "pulumi:providers:kubernetes"),
    ).toBe(false);
    const userData = await resolved(c.userData);
    const doc = parse(userData["node-1"] ?? "") as {
      write_files: { path: string; permissions: string }[];
      runcmd: string[][];
    };
    expect(userData["node-1"]?.startsWith("#cloud-config\n")).toBe(true);
    expect(doc.write_files.find((f) => f.path === paths.caKey)?.permissions).toBe("0600");
    expect(doc.write_files.find((f) => f.path === paths.caCert)?.permissions).toBe("0644");
    expect(doc.runcmd).toStrictEqual([["/usr/local/sbin/kubeforge-bootstrap.sh"]]);
    expect(Object.keys(userData).sort()).toStrictEqual(c.nodes.map((n) => n.name).sort());
  });

  it("refuses the ssh transport without a connection (REQUIRED)", () => {
    const parent = new pulumi.ComponentResource("test:index:Parent", "parent-2");
    let error: unknown;
    try {
      createCluster("d", { spec: defaultSpec() }, parent);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KubeforgeError);
    expect((error as KubeforgeError).code).toBe("REQUIRED");
  });
});
