import "reflect-metadata";
import { createPrivateKey, createPublicKey, type KeyObject, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type {
  CertificateAuthorityPlan,
  CertificatePlan,
  ExtendedKeyUsage,
  KeyAlgorithm,
  KeyUsage,
} from "./plan";

/**
 * Key material for the certificate plan: CAs, leaf certificates, the service-account key pair and
 * the encryption-at-rest key. This is the only place kubeforge creates secrets; it runs at apply
 * time or from `kubeforge pki generate`, never during synth.
 */

// @peculiar/x509 defaults to the global WebCrypto; pin Node's so the choice does not depend on the runtime.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);
const subtle = webcrypto.subtle;

// The project compiles without the DOM library; Node's WebCrypto types stand in for the globals.
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** How far certificates are backdated, so a node whose clock lags a little still accepts them. */
export const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate and its private key, both PEM. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A PEM private key and the matching public key (SPKI), e.g. the service-account signing pair. */
export interface PemKeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

const KEY_USAGE_FLAGS: Record<KeyUsage, x509.KeyUsageFlags> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
};

const EKU_OIDS: Record<ExtendedKeyUsage, string> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
};

function keyGenParams(algorithm: KeyAlgorithm): webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams {
  switch (algorithm) {
    case "ecdsa-p256":
      return { name: "ECDSA", namedCurve: "P-256" };
    case "rsa-2048":
    case "rsa-4096":
      return {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: algorithm === "rsa-2048" ? 2048 : 4096,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      };
  }
}

/** The algorithm of an existing key, so a CA made with RSA keeps signing after the spec moved to ECDSA. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "ec" && details?.namedCurve === "prime256v1") return "ecdsa-p256";
  if (key.asymmetricKeyType === "rsa" && details?.modulusLength === 2048) return "rsa-2048";
  if (key.asymmetricKeyType === "rsa" && details?.modulusLength === 4096) return "rsa-4096";
  return undefined;
}

function signingAlgorithmFor(key: CryptoKey): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return key.algorithm.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" };
}

function pem(der: ArrayBuffer, label: string): string {
  return `${x509.PemConverter.encode(der, label)}\n`;
}

/** The PEM blocks with a given label in a text, e.g. the `CERTIFICATE` of a combined cert+key file. */
export function pemBlocks(text: string, label: RegExp): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g)) {
    if (label.test(m[1] ?? "")) out.push(`${m[0]}\n`);
  }
  return out;
}

/** The first private-key PEM block of a text (a `.key` file or a combined PEM). */
export function privateKeyPemOf(text: string): string | undefined {
  return pemBlocks(text, /PRIVATE KEY$/)[0];
}

/** The first certificate PEM block of a text. */
export function certificatePemOf(text: string): string | undefined {
  return pemBlocks(text, /^CERTIFICATE$/)[0];
}

async function generateKeys(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(keyGenParams(algorithm), true, ["sign", "verify"])) as CryptoKeyPair;
}

async function importKeys(privateKeyPem: string): Promise<CryptoKeyPair> {
  const key = createPrivateKey(privateKeyPem);
  const algorithm = keyAlgorithmOf(key);
  if (!algorithm) {
    throw new Error(`unsupported key (${key.asymmetricKeyType}): use ECDSA P-256 or RSA 2048/4096`);
  }
  const params = keyGenParams(algorithm);
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  return {
    privateKey: await subtle.importKey("pkcs8", pkcs8, params, true, ["sign"]),
    publicKey: await subtle.importKey("spki", spki, params, true, ["verify"]),
  };
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return pem(await subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

/** 128 random bits, positive (high bit clear) and never zero, as RFC 5280 asks of serial numbers. */
function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString("hex");
}

function subjectName(commonName: string, organizations: readonly string[]): x509.JsonName {
  // Go (and so Kubernetes) orders O before CN; one RDN per value keeps every O a separate group.
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

function validity(now: Date, days: number, cap?: Date): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const wanted = new Date(now.getTime() + days * DAY_MS);
  // A leaf that outlives its CA fails verification at the CA's expiry anyway; say so in its notAfter.
  const notAfter = cap && cap < wanted ? cap : wanted;
  return { notBefore, notAfter };
}

/** A CA that can issue certificates: its certificate and its private key. */
export class CertificateAuthority {
  /** Parses a CA from PEM; the key must match the certificate. */
  static async fromPem(certPem: string, keyPem: string): Promise<CertificateAuthority> {
    const cert = new x509.X509Certificate(certPem);
    const keys = await importKeys(keyPem);
    if (!(await publicKeyMatches(cert, keyPem))) {
      throw new Error(`the CA key does not match the CA certificate ${cert.subject}`);
    }
    return new CertificateAuthority(cert, keys.privateKey, keyPem);
  }

  /** Creates a self-signed CA from its plan with a fresh key. */
  static async create(
    plan: CertificateAuthorityPlan,
    algorithm: KeyAlgorithm,
    now: Date = new Date(),
  ): Promise<CertificateAuthority> {
    const keys = await generateKeys(algorithm);
    const usages = plan.keyUsages.reduce((acc, u) => acc | KEY_USAGE_FLAGS[u], 0);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serialNumber(),
      name: subjectName(plan.commonName, []),
      ...validity(now, plan.validityDays),
      keys,
      signingAlgorithm: signingAlgorithmFor(keys.privateKey),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(usages, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new CertificateAuthority(cert, keys.privateKey, await exportPrivateKey(keys.privateKey));
  }

  readonly certPem: string;

  private constructor(
    readonly certificate: x509.X509Certificate,
    private readonly signingKey: CryptoKey,
    readonly keyPem: string,
  ) {
    this.certPem = pem(certificate.rawData, "CERTIFICATE");
  }

  /** The key algorithm of this CA's own key. */
  get keyAlgorithm(): KeyAlgorithm | undefined {
    return keyAlgorithmOf(createPrivateKey(this.keyPem));
  }

  /**
   * Issues a leaf certificate from its plan. With `keyPem` the existing key is kept (renewal: nodes
   * need no new key); otherwise a fresh key of `algorithm` is made.
   */
  async issue(
    plan: CertificatePlan,
    options: { readonly algorithm: KeyAlgorithm; readonly keyPem?: string; readonly now?: Date },
  ): Promise<PemPair> {
    const keys = options.keyPem ? await importKeys(options.keyPem) : await generateKeys(options.algorithm);
    const usages = plan.keyUsages.reduce((acc, u) => acc | KEY_USAGE_FLAGS[u], 0);
    const names: x509.JsonGeneralName[] = [
      ...plan.dnsNames.map((value) => ({ type: "dns" as const, value })),
      ...plan.ipAddresses.map((value) => ({ type: "ip" as const, value })),
    ];
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      new x509.ExtendedKeyUsageExtension(
        plan.extendedKeyUsages.map((e) => EKU_OIDS[e]),
        false,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
    ];
    if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: subjectName(plan.commonName, plan.organizations),
      issuer: this.certificate.subjectName,
      ...validity(options.now ?? new Date(), plan.validityDays, this.certificate.notAfter),
      publicKey: keys.publicKey,
      signingKey: this.signingKey,
      signingAlgorithm: signingAlgorithmFor(this.signingKey),
      extensions,
    });
    return {
      certPem: pem(cert.rawData, "CERTIFICATE"),
      keyPem: options.keyPem ?? (await exportPrivateKey(keys.privateKey)),
    };
  }
}

/** Whether a private key (PEM) belongs to a certificate: their public keys are byte-identical. */
export async function publicKeyMatches(cert: x509.X509Certificate, keyPem: string): Promise<boolean> {
  try {
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
    return Buffer.from(cert.publicKey.rawData).equals(fromKey);
  } catch {
    return false;
  }
}

/** A fresh service-account signing key pair (kube-apiserver signs tokens, everyone verifies). */
export async function generateServiceAccountKeys(algorithm: KeyAlgorithm): Promise<PemKeyPair> {
  const keys = await generateKeys(algorithm);
  return {
    privateKeyPem: await exportPrivateKey(keys.privateKey),
    publicKeyPem: pem(await subtle.exportKey("spki", keys.publicKey), "PUBLIC KEY"),
  };
}

/** The public half (SPKI PEM) of a private key, to rebuild a lost `sa.pub`. */
export function publicKeyPemOf(privateKeyPem: string): string {
  return createPublicKey(createPrivateKey(privateKeyPem)).export({ type: "spki", format: "pem" }).toString();
}

/** 32 random bytes, base64: the key size both secretbox and aescbc (AES-256) take. */
export function generateEncryptionKey(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))).toString("base64");
}

/** What can be wrong with a certificate on disk. */
export type CertificateProblem =
  /** Not signed by the expected CA. */
  | "chain"
  /** The private key next to it belongs to another certificate. */
  | "key-mismatch"
  /** Subject, SANs or usages differ from the plan (e.g. a node's address changed). */
  | "plan-mismatch"
  | "expired"
  | "not-yet-valid";

/** The facts `pki check` prints about one certificate. */
export interface CertificateFacts {
  readonly subject: string;
  readonly issuer: string;
  /** `DNS:name` and `IP:address` entries, in certificate order. */
  readonly sans: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** Reads subject, issuer, SANs and validity of a PEM certificate. */
export function certificateFacts(cert: x509.X509Certificate): CertificateFacts {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const sans = (san?.names.toJSON() ?? []).map((n) => `${n.type === "ip" ? "IP" : "DNS"}:${n.value}`);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    sans,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

function matchesPlan(cert: x509.X509Certificate, plan: CertificatePlan): boolean {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages.map(String) ?? [];
  const ku = cert.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
  const wantedKu = plan.keyUsages.reduce((acc, u) => acc | KEY_USAGE_FLAGS[u], 0);
  return (
    sameSet(cert.subjectName.getField("CN"), [plan.commonName]) &&
    sameSet(cert.subjectName.getField("O"), plan.organizations) &&
    sameSet(
      san.filter((n) => n.type === "dns").map((n) => n.value),
      plan.dnsNames,
    ) &&
    sameSet(
      san.filter((n) => n.type === "ip").map((n) => n.value),
      plan.ipAddresses,
    ) &&
    sameSet(
      eku,
      plan.extendedKeyUsages.map((e) => EKU_OIDS[e]),
    ) &&
    ku === wantedKu
  );
}

/**
 * Inspects a certificate against its CA, its key and its plan: the single judgement both
 * `pki generate` (which re-issues what fails it) and `pki check` (which reports it) rely on.
 */
export async function inspectCertificate(
  certPem: string,
  options: {
    readonly ca: x509.X509Certificate;
    readonly keyPem?: string;
    readonly plan?: CertificatePlan;
    readonly now: Date;
  },
): Promise<{ facts: CertificateFacts; problems: CertificateProblem[] }> {
  const cert = new x509.X509Certificate(certPem);
  const problems: CertificateProblem[] = [];
  let signed = false;
  try {
    signed =
      cert.issuer === options.ca.subject &&
      (await cert.verify({ publicKey: options.ca.publicKey, signatureOnly: true }));
  } catch {
    signed = false;
  }
  if (!signed) problems.push("chain");
  if (options.keyPem !== undefined && !(await publicKeyMatches(cert, options.keyPem))) {
    problems.push("key-mismatch");
  }
  if (options.plan && !matchesPlan(cert, options.plan)) problems.push("plan-mismatch");
  if (cert.notAfter <= options.now) problems.push("expired");
  if (cert.notBefore > options.now) problems.push("not-yet-valid");
  return { facts: certificateFacts(cert), problems };
}
