import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Cluster } from "../../lib/cluster";
import type { CertificatePlan, KeyUsage } from "../../lib/pki/plan";
import { generatePki, pkiLayout } from "../../lib/pki/store";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import { render, singleNodeSpec, tempDir } from "../util";

/**
 * Every generated certificate, checked by OpenSSL rather than by the library that made it:
 * chain, purpose, subject, SANs, key usages, EKUs, validity, and that each key belongs to its
 * certificate.
 */

const DAY_S = 24 * 60 * 60;

function openssl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("openssl", [...args], { encoding: "utf8", timeout: 10_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`openssl ${args.join(" ")}: ${stderr}`)) : resolve(stdout),
    );
  });
}

const KU_TEXT: Record<KeyUsage, string> = {
  digitalSignature: "Digital Signature",
  keyEncipherment: "Key Encipherment",
  keyCertSign: "Certificate Sign",
  cRLSign: "CRL Sign",
};
const EKU_TEXT = { serverAuth: "TLS Web Server Authentication", clientAuth: "TLS Web Client Authentication" };

interface CertView {
  readonly cn: string[];
  readonly o: string[];
  readonly validitySeconds: number;
  readonly publicKey: string;
  /** Extension values by title, `(critical)` appended when critical. */
  readonly ext: Map<string, string>;
}

const PUBLIC_KEY = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----\n/;

/** OpenSSL's view of a certificate, from one call. */
async function viewCert(certFile: string): Promise<CertView> {
  const text = await openssl([
    "x509",
    "-in",
    certFile,
    "-noout",
    "-subject",
    "-nameopt",
    "RFC2253",
    "-startdate",
    "-enddate",
    "-pubkey",
    "-ext",
    "subjectAltName,keyUsage,extendedKeyUsage,basicConstraints",
  ]);
  const parts = (/^subject=(.*)$/m.exec(text)?.[1] ?? "").split(",");
  const start = Date.parse(/^notBefore=(.+)$/m.exec(text)?.[1] ?? "");
  const end = Date.parse(/^notAfter=(.+)$/m.exec(text)?.[1] ?? "");
  const ext = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split("\n")) {
    const title = /^X509v3 ([A-Za-z ]+?):( critical)?\s*$/.exec(line);
    if (title?.[1]) current = title[1] + (title[2] ? " (critical)" : "");
    else if (current && line.startsWith("    ")) ext.set(current, line.trim());
  }
  return {
    cn: parts.filter((p) => p.startsWith("CN=")).map((p) => p.slice(3)),
    o: parts.filter((p) => p.startsWith("O=")).map((p) => p.slice(2)),
    validitySeconds: (end - start) / 1000,
    publicKey: PUBLIC_KEY.exec(text)?.[0] ?? "no public key",
    ext,
  };
}

/** OpenSSL's view of a private key: its public half, and the algorithm text (bits, curve). */
async function viewKey(keyFile: string): Promise<{ publicKey: string; text: string }> {
  const text = await openssl(["pkey", "-in", keyFile, "-pubout", "-text_pub"]);
  return { publicKey: PUBLIC_KEY.exec(text)?.[0] ?? "no public key", text };
}

/** Asserts one leaf against its plan, using only OpenSSL's view of the files. */
async function assertLeaf(
  certFile: string,
  keyFile: string,
  caFile: string,
  plan: CertificatePlan,
  algorithm: string,
): Promise<void> {
  const where = `${plan.id} (${certFile})`;
  // The purpose check verifies the chain and that KU/EKU allow the TLS role the plan gives it.
  for (const eku of plan.extendedKeyUsages) {
    const purpose = eku === "serverAuth" ? "sslserver" : "sslclient";
    expect((await openssl(["verify", "-purpose", purpose, "-CAfile", caFile, certFile])).trim(), where).toBe(
      `${certFile}: OK`,
    );
  }
  const [cert, key] = await Promise.all([viewCert(certFile), viewKey(keyFile)]);
  expect({ cn: cert.cn, o: cert.o }, where).toStrictEqual({
    cn: [plan.commonName],
    o: [...plan.organizations],
  });
  const sans = [...plan.dnsNames.map((d) => `DNS:${d}`), ...plan.ipAddresses.map((ip) => `IP Address:${ip}`)];
  expect(cert.ext.get("Subject Alternative Name")?.split(", ") ?? [], where).toStrictEqual(sans);
  expect(cert.ext.get("Key Usage (critical)"), where).toBe(plan.keyUsages.map((k) => KU_TEXT[k]).join(", "));
  expect(cert.ext.get("Extended Key Usage"), where).toBe(
    plan.extendedKeyUsages.map((e) => EKU_TEXT[e]).join(", "),
  );
  expect(cert.ext.get("Basic Constraints (critical)"), where).toBe("CA:FALSE");
  // Backdated by 5 minutes for clock skew, so the span is the planned days plus those 5 minutes.
  expect(cert.validitySeconds, where).toBe(plan.validityDays * DAY_S + 300);
  expect(key.publicKey, where).toBe(cert.publicKey);
  expect(key.text, where).toContain(algorithm);
}

async function assertPki(cluster: Cluster, dir: string, algorithm: string): Promise<void> {
  for (const authority of cluster.pki.authorities) {
    const caFile = pkiLayout.caCert(dir, authority.id);
    expect((await openssl(["verify", "-CAfile", caFile, caFile])).trim()).toBe(`${caFile}: OK`);
    const [cert, key] = await Promise.all([viewCert(caFile), viewKey(pkiLayout.caKey(dir, authority.id))]);
    expect(cert.ext.get("Basic Constraints (critical)")).toBe("CA:TRUE");
    expect(cert.ext.get("Key Usage (critical)")).toBe("Digital Signature, Certificate Sign, CRL Sign");
    expect({ cn: cert.cn, o: cert.o }).toStrictEqual({ cn: [authority.commonName], o: [] });
    expect(cert.validitySeconds).toBe(authority.validityDays * DAY_S + 300);
    expect(key.publicKey).toBe(cert.publicKey);
    expect(key.text).toContain(algorithm);
  }
  for (const nodePlan of cluster.pki.nodes) {
    await Promise.all(
      nodePlan.certificates.map((c) => {
        const authority = cluster.pki.authorities.find((a) => a.id === c.ca);
        if (!authority) throw new Error(`no authority ${c.ca}`);
        // Each node verifies with its own copy of the CA, as the components on it will.
        const file = (p: string) => pkiLayout.nodeFile(dir, nodePlan.node, p);
        return assertLeaf(file(c.certPath), file(c.keyPath), file(authority.certPath), c, algorithm);
      }),
    );
  }
  const sa = await viewKey(pkiLayout.serviceAccountKey(dir));
  expect(sa.publicKey).toBe(fs.readFileSync(pkiLayout.serviceAccountPub(dir), "utf8"));
  expect(sa.text).toContain(algorithm);
}

describe("generated PKI, verified by openssl", () => {
  const tmp = tempDir("kubeforge-openssl-");
  afterAll(() => tmp.cleanup());

  it("ECDSA P-256 (default), the default 6-node cluster: every leaf chains, matches its plan and its key", async () => {
    const { cluster } = render();
    const dir = path.join(tmp.dir, "ecdsa");
    await generatePki(cluster, dir);
    await assertPki(cluster, dir, "ASN1 OID: prime256v1");
  });

  it("RSA 2048, a single node: RSA keys and keyEncipherment on leaves", async () => {
    const spec: ClusterSpecInput = { ...singleNodeSpec(), pki: { keyAlgorithm: "rsa-2048" } };
    const { cluster } = render(spec);
    const dir = path.join(tmp.dir, "rsa");
    await generatePki(cluster, dir);
    expect(cluster.pki.nodes[0]?.certificates[0]?.keyUsages).toContain("keyEncipherment");
    await assertPki(cluster, dir, "Public-Key: (2048 bit)");
  });

  it("admin and super-admin kubeconfigs carry credentials that verify against the cluster CA", async () => {
    const { cluster } = render();
    const dir = path.join(tmp.dir, "kubeconfigs");
    await generatePki(cluster, dir);
    for (const user of cluster.pki.users) {
      const doc = parse(fs.readFileSync(pkiLayout.userKubeconfig(dir, user.id), "utf8"));
      const decode = (b64: string, name: string) => {
        const file = path.join(tmp.dir, `${user.id}-${name}`);
        fs.writeFileSync(file, Buffer.from(b64, "base64"), { mode: 0o600 });
        return file;
      };
      const ca = decode(doc.clusters[0].cluster["certificate-authority-data"], "ca.crt");
      const cert = decode(doc.users[0].user["client-certificate-data"], "client.crt");
      const key = decode(doc.users[0].user["client-key-data"], "client.key");
      await assertLeaf(cert, key, ca, user, "ASN1 OID: prime256v1");
      expect(fs.readFileSync(ca, "utf8")).toBe(
        fs.readFileSync(pkiLayout.caCert(dir, "kubernetes-ca"), "utf8"),
      );
    }
  });
});
