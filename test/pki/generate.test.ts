import "reflect-metadata";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import * as x509 from "@peculiar/x509";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BACKDATE_MS,
  CertificateAuthority,
  certificatePemOf,
  generateEncryptionKey,
  generateServiceAccountKeys,
  inspectCertificate,
  keyAlgorithmOf,
  privateKeyPemOf,
  publicKeyPemOf,
} from "../../lib/pki/generate";
import type { CertificateAuthorityPlan, CertificatePlan } from "../../lib/pki/plan";

const DAY = 24 * 60 * 60 * 1000;

const CA_PLAN: CertificateAuthorityPlan = {
  id: "kubernetes-ca",
  commonName: "kubernetes",
  certPath: "/etc/kubernetes/pki/ca.crt",
  keyPath: "/etc/kubernetes/pki/ca.key",
  validityDays: 3650,
  keyUsages: ["digitalSignature", "keyCertSign", "cRLSign"],
};

const LEAF: CertificatePlan = {
  id: "kubelet-serving",
  ca: "kubernetes-ca",
  commonName: "system:node:node-1",
  organizations: ["system:nodes"],
  dnsNames: ["node-1"],
  ipAddresses: ["192.0.2.50"],
  keyUsages: ["digitalSignature"],
  extendedKeyUsages: ["serverAuth"],
  validityDays: 365,
  certPath: "/var/lib/kubelet/pki/kubelet.crt",
  keyPath: "/var/lib/kubelet/pki/kubelet.key",
};

describe("CertificateAuthority", () => {
  it("issues a leaf that chains to it and matches its plan", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const ca = await CertificateAuthority.create(CA_PLAN, "ecdsa-p256", now);
    const leaf = await ca.issue(LEAF, { algorithm: "ecdsa-p256", now });
    const result = await inspectCertificate(leaf.certPem, {
      ca: ca.certificate,
      keyPem: leaf.keyPem,
      plan: LEAF,
      now,
    });
    expect(result.problems).toStrictEqual([]);
    expect(result.facts).toStrictEqual({
      subject: "O=system:nodes, CN=system:node:node-1",
      issuer: "CN=kubernetes",
      sans: ["DNS:node-1", "IP:192.0.2.50"],
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + 365 * DAY),
    });
  });

  it("round-trips through PEM and keeps issuing with the same key", async () => {
    const ca = await CertificateAuthority.create(CA_PLAN, "ecdsa-p256");
    const loaded = await CertificateAuthority.fromPem(ca.certPem, ca.keyPem);
    expect(loaded.certPem).toBe(ca.certPem);
    expect(loaded.keyAlgorithm).toBe("ecdsa-p256");
    const leaf = await loaded.issue(LEAF, { algorithm: "ecdsa-p256" });
    expect(
      (await inspectCertificate(leaf.certPem, { ca: ca.certificate, now: new Date() })).problems,
    ).toStrictEqual([]);
  });

  it("keeps the given key when renewing", async () => {
    const ca = await CertificateAuthority.create(CA_PLAN, "ecdsa-p256");
    const first = await ca.issue(LEAF, { algorithm: "ecdsa-p256" });
    const renewed = await ca.issue(LEAF, { algorithm: "ecdsa-p256", keyPem: first.keyPem });
    expect(renewed.keyPem).toBe(first.keyPem);
    expect(renewed.certPem).not.toBe(first.certPem);
    expect(new x509.X509Certificate(renewed.certPem).serialNumber).not.toBe(
      new x509.X509Certificate(first.certPem).serialNumber,
    );
  });

  it("never lets a leaf outlive its CA", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const ca = await CertificateAuthority.create({ ...CA_PLAN, validityDays: 10 }, "ecdsa-p256", now);
    const leaf = new x509.X509Certificate((await ca.issue(LEAF, { algorithm: "ecdsa-p256", now })).certPem);
    expect(leaf.notAfter).toStrictEqual(ca.certificate.notAfter);
  });

  it("makes RSA 4096 CAs on request", async () => {
    const ca = await CertificateAuthority.create(CA_PLAN, "rsa-4096");
    expect(ca.keyAlgorithm).toBe("rsa-4096");
    const leaf = await ca.issue(
      { ...LEAF, keyUsages: ["digitalSignature", "keyEncipherment"] },
      { algorithm: "rsa-2048" },
    );
    expect(keyAlgorithmOf(createPrivateKey(leaf.keyPem))).toBe("rsa-2048");
  }, 30_000);

  it("rejects a key that does not belong to the certificate", async () => {
    const a = await CertificateAuthority.create(CA_PLAN, "ecdsa-p256");
    const b = await CertificateAuthority.create(CA_PLAN, "ecdsa-p256");
    await expect(CertificateAuthority.fromPem(a.certPem, b.keyPem)).rejects.toThrow(/does not match/);
  });

  it("rejects key types outside ECDSA P-256 and RSA 2048/4096", async () => {
    const a = await CertificateAuthority.create(CA_PLAN, "ecdsa-p256");
    const ed = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await expect(CertificateAuthority.fromPem(a.certPem, ed)).rejects.toThrow(/unsupported key/);
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey;
    expect(keyAlgorithmOf(p384)).toBeUndefined();
  });
});

describe("inspectCertificate", () => {
  it("finds a foreign CA, a foreign key, a drifted plan and both ends of the validity window", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const ca = await CertificateAuthority.create(CA_PLAN, "ecdsa-p256", now);
    const other = await CertificateAuthority.create(CA_PLAN, "ecdsa-p256", now);
    const leaf = await ca.issue(LEAF, { algorithm: "ecdsa-p256", now });
    const stranger = await ca.issue(LEAF, { algorithm: "ecdsa-p256", now });
    const check = (opts: Partial<Parameters<typeof inspectCertificate>[1]>) =>
      inspectCertificate(leaf.certPem, {
        ca: ca.certificate,
        keyPem: leaf.keyPem,
        plan: LEAF,
        now,
        ...opts,
      }).then((r) => r.problems);
    expect(await check({ ca: other.certificate })).toStrictEqual(["chain"]);
    expect(await check({ keyPem: stranger.keyPem })).toStrictEqual(["key-mismatch"]);
    expect(await check({ plan: { ...LEAF, ipAddresses: ["192.0.2.51"] } })).toStrictEqual(["plan-mismatch"]);
    expect(await check({ plan: { ...LEAF, extendedKeyUsages: ["clientAuth"] } })).toStrictEqual([
      "plan-mismatch",
    ]);
    expect(await check({ plan: { ...LEAF, organizations: [] } })).toStrictEqual(["plan-mismatch"]);
    expect(await check({ now: new Date(now.getTime() + 366 * DAY) })).toStrictEqual(["expired"]);
    expect(await check({ now: new Date(now.getTime() - DAY) })).toStrictEqual(["not-yet-valid"]);
  });
});

describe("secrets", () => {
  it("makes 32-byte encryption keys that differ", () => {
    const a = generateEncryptionKey();
    expect(Buffer.from(a, "base64")).toHaveLength(32);
    expect(generateEncryptionKey()).not.toBe(a);
  });

  it("makes a service-account pair whose public half can be rebuilt from the private key", async () => {
    const sa = await generateServiceAccountKeys("ecdsa-p256");
    expect(createPrivateKey(sa.privateKeyPem).asymmetricKeyType).toBe("ec");
    expect(publicKeyPemOf(sa.privateKeyPem)).toBe(sa.publicKeyPem);
  });

  it("splits combined PEM files into their certificate and key, in any order", () => {
    const block = fc
      .base64String({ minLength: 4, maxLength: 200 })
      .filter((s) => s.length % 4 === 0)
      .map((b) => b.replace(/(.{64})/g, "$1\n"));
    // A real key made per run (no key material in the repository); the property varies the rest.
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    fc.assert(
      fc.property(block, fc.boolean(), (certBody, keyFirst) => {
        const cert = `-----BEGIN CERTIFICATE-----\n${certBody}\n-----END CERTIFICATE-----\n`;
        const combined = keyFirst ? key + cert : cert + key;
        expect(certificatePemOf(combined)).toBe(cert);
        expect(privateKeyPemOf(combined)).toBe(key);
      }),
    );
  });
});
