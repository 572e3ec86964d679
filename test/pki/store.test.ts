import { createPrivateKey } from "node:crypto";
import "reflect-metadata";
import * as fs from "node:fs";
import * as path from "node:path";
import * as x509 from "@peculiar/x509";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { KubeforgeError } from "../../lib/errors";
import { paths } from "../../lib/paths";
import { secretModeOf } from "../../lib/pki/plan";
import { generatePki, PKI_CA_DIR, pkiLayout, renewPki } from "../../lib/pki/store";
import { writeRendered } from "../../lib/synth";
import { defaultSpec, nodeOf, render, singleNodeSpec, tempDir } from "../util";

const DAY = 24 * 60 * 60 * 1000;

/** Every file under a directory, relative, sorted. */
function listFiles(dir: string, prefix = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}/${e.name}`) : [`${prefix}/${e.name}`],
    )
    .sort();
}

function listDirs(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => [path.join(dir, e.name), ...listDirs(path.join(dir, e.name))]);
}

function snapshot(dir: string): Map<string, string> {
  return new Map(listFiles(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: KubeforgeError) => e.code,
  );
}

function encryptionKeyOf(text: string): { provider: string; secret: string } {
  const doc = parse(text);
  const first = doc.resources[0].providers[0];
  const provider = Object.keys(first)[0] as string;
  return { provider, secret: first[provider].keys[0].secret };
}

function certOf(file: string): x509.X509Certificate {
  return new x509.X509Certificate(fs.readFileSync(file, "utf8"));
}

const cleanups: (() => void)[] = [];
function dir(): string {
  const t = tempDir("kubeforge-pki-");
  cleanups.push(t.cleanup);
  return path.join(t.dir, "pki");
}
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("generatePki layout", () => {
  it("gives every node exactly the secret paths its rendered files list", async () => {
    // GIVEN the default 6-node cluster
    const { cluster, rendered } = render();
    const out = dir();
    // WHEN the PKI is generated
    const started = performance.now();
    const report = await generatePki(cluster, out);
    const ms = performance.now() - started;
    process.stdout.write(`pki generate, default 6-node cluster: ${Math.round(ms)} ms\n`);
    // THEN each node folder holds exactly its secretPaths, nothing more, nothing less
    for (const node of rendered.nodes) {
      expect(listFiles(path.join(out, "nodes", node.name))).toStrictEqual([...node.secretPaths].sort());
      // ... with the mode the node index records for it (what the audit reads).
      for (const p of node.secretPaths) {
        const mode = fs.statSync(path.join(out, "nodes", node.name, p)).mode & 0o777;
        expect(mode, `${node.name}:${p}`).toBe(secretModeOf(p));
      }
    }
    expect(fs.readdirSync(out).sort()).toStrictEqual(["admin.conf", "ca", "nodes", "super-admin.conf"]);
    expect(listFiles(path.join(out, PKI_CA_DIR))).toStrictEqual([
      "/encryption-config.yaml",
      "/etcd-ca.crt",
      "/etcd-ca.key",
      "/front-proxy-ca.crt",
      "/front-proxy-ca.key",
      "/kubernetes-ca.crt",
      "/kubernetes-ca.key",
      "/sa.key",
      "/sa.pub",
    ]);
    expect(report.authoritiesCreated).toStrictEqual(["kubernetes-ca", "etcd-ca", "front-proxy-ca"]);
    const leaves =
      cluster.pki.nodes.reduce((n, p) => n + p.certificates.length, 0) + cluster.pki.users.length;
    expect(report.issued).toBe(leaves);
    expect(report.kept).toBe(0);
    expect(ms).toBeLessThan(5000);
  });

  it("writes private keys 0600, certificates and public keys 0644, directories 0700", async () => {
    const { cluster } = render();
    const out = dir();
    await generatePki(cluster, out);
    for (const rel of listFiles(out)) {
      const mode = fs.statSync(path.join(out, rel)).mode & 0o777;
      const secret = /\.(key|pem|conf)$|encryption-config\.yaml$/.test(rel);
      expect({ rel, mode: mode.toString(8) }).toStrictEqual({ rel, mode: secret ? "600" : "644" });
      if (secret) expect(fs.readFileSync(path.join(out, rel), "utf8")).toMatch(/PRIVATE KEY|secret|data:/);
      else expect(fs.readFileSync(path.join(out, rel), "utf8")).not.toContain("PRIVATE KEY");
    }
    for (const d of [out, ...listDirs(out)]) expect((fs.statSync(d).mode & 0o777).toString(8)).toBe("700");
  });

  it("writes admin and super-admin kubeconfigs with embedded credentials for the cluster endpoint", async () => {
    const { cluster } = render();
    const out = dir();
    await generatePki(cluster, out);
    const ca = fs.readFileSync(pkiLayout.caCert(out, "kubernetes-ca"), "utf8");
    for (const [user, org] of [
      ["admin", "kubeforge:cluster-admins"],
      ["super-admin", "system:masters"],
    ] as const) {
      const doc = parse(fs.readFileSync(path.join(out, `${user}.conf`), "utf8"));
      const cluster0 = doc.clusters[0].cluster;
      expect(cluster0.server).toBe("https://192.0.2.10:6443");
      expect(Buffer.from(cluster0["certificate-authority-data"], "base64").toString()).toBe(ca);
      const creds = doc.users[0].user;
      const cert = new x509.X509Certificate(
        Buffer.from(creds["client-certificate-data"], "base64").toString(),
      );
      expect(cert.subjectName.getField("O")).toStrictEqual([org]);
      expect(createPrivateKey(Buffer.from(creds["client-key-data"], "base64").toString()).type).toBe(
        "private",
      );
      expect(doc["current-context"]).toBe(`${doc.users[0].name}@kubeforge`);
      expect(Object.keys(creds).sort()).toStrictEqual(["client-certificate-data", "client-key-data"]);
    }
  });

  it("puts one 32-byte encryption key on every control-plane node and keeps it across runs, even with --force", async () => {
    const { cluster, rendered } = render();
    const out = dir();
    await generatePki(cluster, out);
    const shared = fs.readFileSync(pkiLayout.encryptionConfig(out), "utf8");
    for (const node of rendered.nodes) {
      const file = pkiLayout.nodeFile(out, node.name, paths.encryptionConfig);
      if (node.name.startsWith("cp-")) expect(fs.readFileSync(file, "utf8")).toBe(shared);
      else expect(fs.existsSync(file)).toBe(false);
    }
    const { provider, secret } = encryptionKeyOf(shared);
    expect(provider).toBe("secretbox");
    expect(Buffer.from(secret, "base64")).toHaveLength(32);

    await generatePki(cluster, out, { force: true });
    expect(fs.readFileSync(pkiLayout.encryptionConfig(out), "utf8")).toBe(shared);
    // A different directory gets a different, random key.
    const other = dir();
    await generatePki(cluster, other);
    expect(encryptionKeyOf(fs.readFileSync(pkiLayout.encryptionConfig(other), "utf8")).secret).not.toBe(
      secret,
    );
  });

  it("writes no encryption config when encryption at rest is off", async () => {
    const spec = defaultSpec();
    spec.security = { encryptionAtRest: { enabled: false } };
    const { cluster, rendered } = render(spec);
    const out = dir();
    await generatePki(cluster, out);
    expect(fs.existsSync(pkiLayout.encryptionConfig(out))).toBe(false);
    for (const node of rendered.nodes) {
      expect(listFiles(path.join(out, "nodes", node.name))).toStrictEqual([...node.secretPaths].sort());
      // ... with the mode the node index records for it (what the audit reads).
      for (const p of node.secretPaths) {
        const mode = fs.statSync(path.join(out, "nodes", node.name, p)).mode & 0o777;
        expect(mode, `${node.name}:${p}`).toBe(secretModeOf(p));
      }
    }
  });
});

describe("generatePki on an existing directory", () => {
  it("changes nothing when run again", async () => {
    const { cluster } = render();
    const out = dir();
    await generatePki(cluster, out);
    const before = snapshot(out);
    const report = await generatePki(cluster, out);
    expect(report.issued).toBe(0);
    expect(report.filesWritten).toBe(0);
    expect(report.authoritiesReused).toHaveLength(3);
    expect(snapshot(out)).toStrictEqual(before);
  });

  it("issues only the new node's certificates when a worker is added", async () => {
    const spec = defaultSpec();
    const out = dir();
    await generatePki(render(spec).cluster, out);
    const before = snapshot(out);
    spec.nodes.push({ name: "worker-4", roles: ["worker"], address: "192.0.2.24" });
    const { cluster, rendered } = render(spec);
    const report = await generatePki(cluster, out);
    const added = cluster.pki.nodes.find((n) => n.node === "worker-4")?.certificates.length;
    expect(report.issued).toBe(added);
    expect(report.authoritiesCreated).toStrictEqual([]);
    for (const [rel, content] of before) expect(fs.readFileSync(path.join(out, rel), "utf8")).toBe(content);
    expect(listFiles(path.join(out, "nodes", "worker-4"))).toStrictEqual([
      ...nodeOf(rendered, "worker-4").secretPaths,
    ]);
  });

  it("re-issues a certificate whose SANs no longer match the plan", async () => {
    const spec = defaultSpec();
    const out = dir();
    await generatePki(render(spec).cluster, out);
    const servingFile = pkiLayout.nodeFile(out, "worker-1", paths.kubeletServingCert);
    const clientFile = pkiLayout.nodeFile(out, "worker-1", paths.kubeletClientCurrent);
    const client = fs.readFileSync(clientFile, "utf8");
    (spec.nodes[3] as { address: string }).address = "192.0.2.31";
    const report = await generatePki(render(spec).cluster, out);
    // Only the serving certificate carries the address; the client certificate is kept.
    expect(report.issued).toBe(1);
    expect(fs.readFileSync(clientFile, "utf8")).toBe(client);
    const san = certOf(servingFile).getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON();
    expect(san).toContainEqual({ type: "ip", value: "192.0.2.31" });
  });

  it("replaces the CAs and every leaf with --force", async () => {
    const { cluster } = render();
    const out = dir();
    await generatePki(cluster, out);
    const ca = fs.readFileSync(pkiLayout.caCert(out, "kubernetes-ca"), "utf8");
    const sa = fs.readFileSync(pkiLayout.serviceAccountKey(out), "utf8");
    const report = await generatePki(cluster, out, { force: true });
    expect(report.authoritiesCreated).toHaveLength(3);
    expect(report.kept).toBe(0);
    expect(fs.readFileSync(pkiLayout.caCert(out, "kubernetes-ca"), "utf8")).not.toBe(ca);
    expect(fs.readFileSync(pkiLayout.serviceAccountKey(out), "utf8")).not.toBe(sa);
  });

  it("refuses to replace an incomplete CA without --force (CA_EXISTS)", async () => {
    const { cluster } = render();
    const out = dir();
    await generatePki(cluster, out);
    fs.rmSync(pkiLayout.caCert(out, "etcd-ca"));
    const key = fs.readFileSync(pkiLayout.caKey(out, "etcd-ca"), "utf8");
    expect(await codeOf(generatePki(cluster, out))).toBe("CA_EXISTS");
    expect(fs.readFileSync(pkiLayout.caKey(out, "etcd-ca"), "utf8")).toBe(key);
    await generatePki(cluster, out, { force: true });
    expect(fs.readFileSync(pkiLayout.caKey(out, "etcd-ca"), "utf8")).not.toBe(key);
  });

  it("refuses a CA whose key does not match its certificate (CA_EXISTS)", async () => {
    const { cluster } = render();
    const out = dir();
    await generatePki(cluster, out);
    fs.copyFileSync(pkiLayout.caKey(out, "etcd-ca"), pkiLayout.caKey(out, "kubernetes-ca"));
    expect(await codeOf(generatePki(cluster, out))).toBe("CA_EXISTS");
  });

  it("refuses to switch the key algorithm of existing CAs without --force (CA_EXISTS)", async () => {
    const spec = singleNodeSpec();
    const out = dir();
    await generatePki(render(spec).cluster, out);
    spec.pki = { keyAlgorithm: "rsa-2048" };
    expect(await codeOf(generatePki(render(spec).cluster, out))).toBe("CA_EXISTS");
  });

  it("refuses to change the encryption provider of an existing key (ENCRYPTION_KEY_CONFLICT)", async () => {
    const spec = singleNodeSpec();
    const out = dir();
    await generatePki(render(spec).cluster, out);
    spec.security = { encryptionAtRest: { provider: "aescbc" } };
    expect(await codeOf(generatePki(render(spec).cluster, out))).toBe("ENCRYPTION_KEY_CONFLICT");
  });
});

describe("generatePki output directory", () => {
  it("refuses a directory inside dist/ (PKI_DIR_IN_DIST) and writes nothing", async () => {
    const { cluster } = render(singleNodeSpec());
    const t = tempDir();
    cleanups.push(t.cleanup);
    const dist = path.join(t.dir, "dist");
    const target = path.join(dist, "pki");
    expect(await codeOf(generatePki(cluster, target, { distDir: dist }))).toBe("PKI_DIR_IN_DIST");
    expect(await codeOf(generatePki(cluster, dist, { distDir: dist }))).toBe("PKI_DIR_IN_DIST");
    expect(fs.existsSync(dist)).toBe(false);
  });

  it("refuses any folder inside synthesized output, wherever synth wrote it (PKI_DIR_IN_DIST)", async () => {
    const { cluster, rendered } = render(singleNodeSpec());
    const t = tempDir();
    cleanups.push(t.cleanup);
    const synthOut = path.join(t.dir, "out");
    writeRendered(rendered, synthOut);
    const target = path.join(synthOut, "nodes", "secrets");
    expect(await codeOf(generatePki(cluster, target))).toBe("PKI_DIR_IN_DIST");
    expect(fs.existsSync(target)).toBe(false);
    // A kubeforge.json that kubeforge did not write is not synth output.
    const other = path.join(t.dir, "project");
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, "kubeforge.json"), '{"name":"something else"}');
    await generatePki(cluster, path.join(other, "pki"));
    expect(fs.existsSync(path.join(other, "pki", "ca"))).toBe(true);
  });
});

describe("renewPki", () => {
  it("re-issues every leaf with the existing CAs and keys, moving notAfter", async () => {
    const { cluster } = render();
    const out = dir();
    await generatePki(cluster, out);
    const before = snapshot(out);
    const later = new Date(Date.now() + 200 * DAY);
    const report = await renewPki(cluster, out, { now: later });
    expect(report.authoritiesReused).toHaveLength(3);
    expect(report.kept).toBe(0);
    for (const [rel, content] of before) {
      const now = fs.readFileSync(path.join(out, rel), "utf8");
      if (rel.endsWith(".crt") && rel.includes("/nodes/") && !/ca\.crt$/.test(rel)) {
        expect(now).not.toBe(content);
        const renewed = certOf(path.join(out, rel));
        expect(renewed.notAfter.getTime()).toBeGreaterThan(later.getTime() + 364 * DAY);
      } else if (/\.(key)$/.test(rel) || rel.startsWith("/ca/")) {
        // CAs, CA keys, the service-account pair and every leaf key stay as they were.
        expect({ rel, same: now === content }).toStrictEqual({ rel, same: true });
      }
    }
  });

  it("needs existing CAs (PKI_MISSING)", async () => {
    const { cluster } = render(singleNodeSpec());
    const out = dir();
    expect(await codeOf(renewPki(cluster, out))).toBe("PKI_MISSING");
    await generatePki(cluster, out);
    fs.rmSync(pkiLayout.caKey(out, "front-proxy-ca"));
    expect(await codeOf(renewPki(cluster, out))).toBe("PKI_MISSING");
  });
});

describe("generatePki internal guards", () => {
  it("fails when a node's secret paths and the PKI plan disagree", async () => {
    const { cluster } = render(singleNodeSpec());
    const hosts = new Map([["node-1", { secretPaths: ["/etc/kubernetes/pki/unplanned.key"] }]]);
    await expect(generatePki({ model: cluster.model, pki: cluster.pki, hosts }, dir())).rejects.toThrow(
      /differs from its secret paths/,
    );
    await expect(
      generatePki({ model: cluster.model, pki: cluster.pki, hosts: new Map() }, dir()),
    ).rejects.toThrow(/no host for node-1/);
  });
});
