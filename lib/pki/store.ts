import { createPrivateKey } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { embeddedKubeconfig } from "../control-plane/kubeconfig";
import { KubeforgeError } from "../errors";
import { toYaml } from "../host/node-file";
import { paths } from "../paths";
import { encryptionConfiguration } from "../security/encryption-config";
import type { ClusterModel } from "../spec/model";
import { INDEX_FILE } from "../synth";
import {
  CertificateAuthority,
  certificatePemOf,
  generateEncryptionKey,
  generateServiceAccountKeys,
  inspectCertificate,
  keyAlgorithmOf,
  type PemPair,
  privateKeyPemOf,
  publicKeyPemOf,
} from "./generate";
import type { CaId, CertificatePlan, PkiPlan } from "./plan";

/**
 * The PKI directory written by `kubeforge pki generate`:
 *
 * ```
 * DIR/ca/<ca-id>.crt|.key, sa.key, sa.pub, encryption-config.yaml   shared material, the source of truth
 * DIR/nodes/<node>/<host path>                                      exactly the secret files each node needs
 * DIR/admin.conf, DIR/super-admin.conf                              kubeconfigs with embedded credentials
 * ```
 *
 * Private keys are 0600, certificates and public keys 0644, directories 0700.
 */

/** What the PKI functions need of a cluster; a {@link Cluster} is one. */
export interface PkiSource {
  readonly model: ClusterModel;
  readonly pki: PkiPlan;
  /** Per node, the secret host paths its synthesized files refer to. */
  readonly hosts: ReadonlyMap<string, { readonly secretPaths: readonly string[] }>;
}

/** Options of {@link generatePki} and {@link renewPki}. */
export interface PkiWriteOptions {
  /**
   * Replace existing CAs and the service-account key pair (and so every leaf). The encryption key
   * is kept even then: replacing it would make every stored Secret unreadable.
   * @default false
   */
  readonly force?: boolean;
  /** The clock, for tests. @default now */
  readonly now?: Date;
  /** The synth output directory the PKI must stay out of. @default "dist" */
  readonly distDir?: string;
}

/** What a run did. */
export interface PkiReport {
  readonly authoritiesCreated: readonly CaId[];
  readonly authoritiesReused: readonly CaId[];
  /** Leaf certificates (node and user) issued in this run. */
  readonly issued: number;
  /** Leaf certificates left as they were. */
  readonly kept: number;
  readonly filesWritten: number;
  readonly filesUnchanged: number;
}

/** The folder of shared CA material. */
export const PKI_CA_DIR = "ca";
/** The folder of per-node secret files. */
export const PKI_NODES_DIR = "nodes";
/** The key name in the EncryptionConfiguration. */
export const ENCRYPTION_KEY_NAME = "key1";

const KEY_MODE = 0o600;
const PUBLIC_MODE = 0o644;

/** Paths inside a PKI directory. */
export const pkiLayout = {
  caCert: (dir: string, id: CaId) => path.join(dir, PKI_CA_DIR, `${id}.crt`),
  caKey: (dir: string, id: CaId) => path.join(dir, PKI_CA_DIR, `${id}.key`),
  serviceAccountKey: (dir: string) => path.join(dir, PKI_CA_DIR, "sa.key"),
  serviceAccountPub: (dir: string) => path.join(dir, PKI_CA_DIR, "sa.pub"),
  encryptionConfig: (dir: string) => path.join(dir, PKI_CA_DIR, "encryption-config.yaml"),
  nodeFile: (dir: string, node: string, hostPath: string) => path.join(dir, PKI_NODES_DIR, node, hostPath),
  userKubeconfig: (dir: string, user: string) => path.join(dir, `${user}.conf`),
} as const;

/** Reads a file, or undefined when it does not exist. */
export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Resolves symlinks of the longest existing prefix, so `dist/../dist/x` and links compare equal. */
function realPath(p: string): string {
  const abs = path.resolve(p);
  let existing = abs;
  const rest: string[] = [];
  while (!fs.existsSync(existing)) {
    rest.unshift(path.basename(existing));
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  return path.join(fs.realpathSync(existing), ...rest);
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Whether a directory is the root of `kubeforge synth` output (its index names kubeforge as generator). */
function isSynthOutput(dir: string): boolean {
  const index = readIfExists(path.join(dir, INDEX_FILE));
  if (index === undefined) return false;
  try {
    return (JSON.parse(index) as { generator?: unknown }).generator === "kubeforge";
  } catch {
    return false;
  }
}

/**
 * Refuses a PKI directory inside the synth output (`dist/`, or any folder kubeforge synthesized
 * into): that output is meant to be committed and reviewed, and must never hold a key.
 */
export function assertPkiDirAllowed(dir: string, distDir = "dist"): void {
  const target = realPath(dir);
  const dist = realPath(distDir);
  let synthRoot: string | undefined;
  for (let p = target; ; p = path.dirname(p)) {
    if (isSynthOutput(p)) {
      synthRoot = p;
      break;
    }
    if (path.dirname(p) === p) break;
  }
  if (isInside(target, dist) || synthRoot !== undefined) {
    throw new KubeforgeError(
      "PKI_DIR_IN_DIST",
      dir,
      `'${dir}' is inside the synthesized output ${synthRoot ?? dist}, which must never hold private keys. Choose a directory outside it, e.g. --out pki.`,
    );
  }
}

interface DesiredFile {
  readonly content: string;
  readonly mode: number;
}

function writeFiles(files: ReadonlyMap<string, DesiredFile>): { written: number; unchanged: number } {
  let written = 0;
  let unchanged = 0;
  for (const [file, desired] of files) {
    const existing = readIfExists(file);
    if (existing === desired.content && (fs.statSync(file).mode & 0o777) === desired.mode) {
      unchanged++;
      continue;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Write beside and rename, so an interrupted run never leaves a truncated key behind.
    const temp = `${file}.kubeforge-tmp`;
    fs.writeFileSync(temp, desired.content, { mode: desired.mode });
    fs.chmodSync(temp, desired.mode);
    fs.renameSync(temp, file);
    written++;
  }
  return { written, unchanged };
}

async function loadAuthorities(
  plan: PkiPlan,
  dir: string,
  mode: "generate" | "renew",
  options: PkiWriteOptions,
): Promise<{ cas: Record<CaId, CertificateAuthority>; created: CaId[]; reused: CaId[] }> {
  // Filled for every authority of the plan, which always names all three CAs.
  const cas = {} as Record<CaId, CertificateAuthority>;
  const created: CaId[] = [];
  const reused: CaId[] = [];
  for (const authority of plan.authorities) {
    const certFile = pkiLayout.caCert(dir, authority.id);
    const keyFile = pkiLayout.caKey(dir, authority.id);
    const certPem = readIfExists(certFile);
    const keyPem = readIfExists(keyFile);
    if (mode === "generate" && (options.force || (certPem === undefined && keyPem === undefined))) {
      cas[authority.id] = await CertificateAuthority.create(authority, plan.keyAlgorithm, options.now);
      created.push(authority.id);
      continue;
    }
    if (certPem === undefined || keyPem === undefined) {
      const missing = certPem === undefined ? certFile : keyFile;
      if (mode === "renew") {
        throw new KubeforgeError(
          "PKI_MISSING",
          missing,
          `'${missing}' does not exist: renewal needs the existing CAs. Run 'kubeforge pki generate' first.`,
        );
      }
      throw new KubeforgeError(
        "CA_EXISTS",
        missing,
        `The ${authority.id} in '${path.dirname(missing)}' is incomplete ('${missing}' is missing); issuing a new CA would orphan the existing one. Restore the file, or pass --force to replace every CA.`,
      );
    }
    let ca: CertificateAuthority;
    try {
      ca = await CertificateAuthority.fromPem(certPem, keyPem);
    } catch (e) {
      throw new KubeforgeError(
        "CA_EXISTS",
        keyFile,
        `The existing ${authority.id} cannot be used (${(e as Error).message}). Restore it, or pass --force to replace every CA.`,
      );
    }
    if (mode === "generate" && ca.keyAlgorithm !== plan.keyAlgorithm) {
      throw new KubeforgeError(
        "CA_EXISTS",
        keyFile,
        `The existing ${authority.id} uses ${ca.keyAlgorithm ?? "another algorithm"}, the spec asks for ${plan.keyAlgorithm}. Pass --force to replace every CA, or set pki.keyAlgorithm back.`,
      );
    }
    cas[authority.id] = ca;
    reused.push(authority.id);
  }
  return { cas, created, reused };
}

/** Reuses the encryption key when one exists; a new key would make stored Secrets unreadable. */
function encryptionConfigText(model: ClusterModel, dir: string): string {
  const provider = model.spec.security.encryptionAtRest.provider;
  const file = pkiLayout.encryptionConfig(dir);
  const existing = readIfExists(file);
  if (existing === undefined) {
    return toYaml(
      encryptionConfiguration(provider, { name: ENCRYPTION_KEY_NAME, secretBase64: generateEncryptionKey() }),
    );
  }
  const doc = parse(existing) as {
    resources?: { providers?: Record<string, { keys?: { name: string; secret: string }[] }>[] }[];
  };
  const first = doc?.resources?.[0]?.providers?.[0] ?? {};
  const [current] = Object.keys(first);
  const key = first[current ?? ""]?.keys?.[0];
  if (current !== provider || !key) {
    throw new KubeforgeError(
      "ENCRYPTION_KEY_CONFLICT",
      file,
      `'${file}' encrypts with ${current ?? "no provider"}, the spec asks for ${provider}. Changing the provider needs a key rotation (both providers listed while Secrets are rewritten); set security.encryptionAtRest.provider back to ${current ?? "its previous value"}.`,
    );
  }
  return toYaml(encryptionConfiguration(provider, { name: key.name, secretBase64: key.secret }));
}

async function serviceAccountKeys(
  plan: PkiPlan,
  dir: string,
  force: boolean,
): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const existing = force ? undefined : readIfExists(pkiLayout.serviceAccountKey(dir));
  if (existing === undefined) return generateServiceAccountKeys(plan.keyAlgorithm);
  // The public key is derived, so a lost sa.pub is rebuilt rather than the pair replaced.
  return { privateKeyPem: existing, publicKeyPem: publicKeyPemOf(existing) };
}

interface LeafContext {
  readonly cas: Readonly<Record<CaId, CertificateAuthority>>;
  readonly algorithm: PkiPlan["keyAlgorithm"];
  readonly mode: "generate" | "renew";
  readonly now: Date;
}

/**
 * One leaf: kept when it is valid for its plan and CA (generate), re-issued otherwise. Renewal
 * re-issues every leaf and keeps a key that still matches, so nodes only swap certificates.
 */
async function leaf(
  plan: CertificatePlan,
  existingCert: string | undefined,
  existingKey: string | undefined,
  ctx: LeafContext,
): Promise<{ pair: PemPair; issued: boolean }> {
  const ca = ctx.cas[plan.ca];
  const certPem = existingCert && certificatePemOf(existingCert);
  const keyPem = existingKey && privateKeyPemOf(existingKey);
  if (certPem && keyPem) {
    const { problems } = await inspectCertificate(certPem, {
      ca: ca.certificate,
      keyPem,
      plan,
      now: ctx.now,
    });
    if (ctx.mode === "generate" && problems.length === 0) {
      return { pair: { certPem, keyPem }, issued: false };
    }
    const keepKey =
      ctx.mode === "renew" &&
      !problems.includes("key-mismatch") &&
      keyAlgorithmOf(createPrivateKey(keyPem)) === ctx.algorithm;
    if (keepKey) {
      return { pair: await ca.issue(plan, { algorithm: ctx.algorithm, keyPem, now: ctx.now }), issued: true };
    }
  }
  return { pair: await ca.issue(plan, { algorithm: ctx.algorithm, now: ctx.now }), issued: true };
}

function kubeconfigCredentials(text: string | undefined): { cert?: string; key?: string } {
  if (text === undefined) return {};
  const doc = parse(text) as {
    users?: { user?: { "client-certificate-data"?: string; "client-key-data"?: string } }[];
  };
  const user = doc?.users?.[0]?.user ?? {};
  const decode = (b64: string | undefined) =>
    b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("utf8");
  return { cert: decode(user["client-certificate-data"]), key: decode(user["client-key-data"]) };
}

async function writePki(
  source: PkiSource,
  dir: string,
  mode: "generate" | "renew",
  options: PkiWriteOptions,
): Promise<PkiReport> {
  assertPkiDirAllowed(dir, options.distDir);
  const { model, pki: plan } = source;
  const now = options.now ?? new Date();
  const force = mode === "generate" && options.force === true;
  const { cas, created, reused } = await loadAuthorities(plan, dir, mode, options);
  const sa = await serviceAccountKeys(plan, dir, force);
  const needsEncryption = [...source.hosts.values()].some((h) =>
    h.secretPaths.includes(paths.encryptionConfig),
  );
  const encryption = needsEncryption ? encryptionConfigText(model, dir) : undefined;
  const ctx: LeafContext = { cas, algorithm: plan.keyAlgorithm, mode, now };

  const files = new Map<string, DesiredFile>();
  for (const authority of plan.authorities) {
    const ca = cas[authority.id];
    files.set(pkiLayout.caCert(dir, authority.id), { content: ca.certPem, mode: PUBLIC_MODE });
    files.set(pkiLayout.caKey(dir, authority.id), { content: ca.keyPem, mode: KEY_MODE });
  }
  files.set(pkiLayout.serviceAccountKey(dir), { content: sa.privateKeyPem, mode: KEY_MODE });
  files.set(pkiLayout.serviceAccountPub(dir), { content: sa.publicKeyPem, mode: PUBLIC_MODE });
  if (encryption !== undefined) {
    files.set(pkiLayout.encryptionConfig(dir), { content: encryption, mode: KEY_MODE });
  }

  let issued = 0;
  let kept = 0;
  const count = (r: { issued: boolean }) => {
    if (r.issued) issued++;
    else kept++;
  };

  await Promise.all(
    plan.nodes.map(async (nodePlan) => {
      const host = source.hosts.get(nodePlan.node);
      if (!host) throw new Error(`internal: no host for ${nodePlan.node}`);
      const nodeFiles = new Map<string, DesiredFile>();
      for (const authority of plan.authorities) {
        const ca = cas[authority.id];
        if (nodePlan.caCerts.includes(authority.id))
          nodeFiles.set(authority.certPath, { content: ca.certPem, mode: PUBLIC_MODE });
        if (nodePlan.caKeys.includes(authority.id))
          nodeFiles.set(authority.keyPath, { content: ca.keyPem, mode: KEY_MODE });
      }
      if (nodePlan.serviceAccountKeys) {
        nodeFiles.set(plan.serviceAccount.keyPath, { content: sa.privateKeyPem, mode: KEY_MODE });
        nodeFiles.set(plan.serviceAccount.publicKeyPath, { content: sa.publicKeyPem, mode: PUBLIC_MODE });
      }
      if (encryption !== undefined && host.secretPaths.includes(paths.encryptionConfig)) {
        nodeFiles.set(paths.encryptionConfig, { content: encryption, mode: KEY_MODE });
      }
      const leaves = await Promise.all(
        nodePlan.certificates.map(async (c) => {
          const certText = readIfExists(pkiLayout.nodeFile(dir, nodePlan.node, c.certPath));
          const keyText =
            c.keyPath === c.certPath
              ? certText
              : readIfExists(pkiLayout.nodeFile(dir, nodePlan.node, c.keyPath));
          return { plan: c, ...(await leaf(c, force ? undefined : certText, keyText, ctx)) };
        }),
      );
      for (const l of leaves) {
        count(l);
        if (l.plan.keyPath === l.plan.certPath) {
          // A combined PEM (the kubelet's client credential) holds the key, so it is a key file.
          nodeFiles.set(l.plan.certPath, { content: l.pair.certPem + l.pair.keyPem, mode: KEY_MODE });
        } else {
          nodeFiles.set(l.plan.certPath, { content: l.pair.certPem, mode: PUBLIC_MODE });
          nodeFiles.set(l.plan.keyPath, { content: l.pair.keyPem, mode: KEY_MODE });
        }
      }
      // The node gets exactly what its synthesized files refer to: nothing missing, nothing extra.
      const planned = [...nodeFiles.keys()].sort();
      const wanted = [...host.secretPaths].sort();
      if (planned.join("\n") !== wanted.join("\n")) {
        throw new Error(
          `internal: PKI for ${nodePlan.node} differs from its secret paths: [${planned.join(", ")}] vs [${wanted.join(", ")}]`,
        );
      }
      for (const [hostPath, f] of nodeFiles) files.set(pkiLayout.nodeFile(dir, nodePlan.node, hostPath), f);
    }),
  );

  const kubernetesCa = cas["kubernetes-ca"];
  for (const user of plan.users) {
    const file = pkiLayout.userKubeconfig(dir, user.id);
    const existing = kubeconfigCredentials(force ? undefined : readIfExists(file));
    const result = await leaf(user, existing.cert, existing.key, ctx);
    count(result);
    const doc = embeddedKubeconfig({
      clusterName: model.spec.name,
      server: model.endpoint.url,
      user: user.commonName,
      certificateAuthorityPem: kubernetesCa.certPem,
      clientCertificatePem: result.pair.certPem,
      clientKeyPem: result.pair.keyPem,
    });
    files.set(file, { content: toYaml(doc), mode: KEY_MODE });
  }

  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { written, unchanged } = writeFiles(files);
  return {
    authoritiesCreated: created,
    authoritiesReused: reused,
    issued,
    kept,
    filesWritten: written,
    filesUnchanged: unchanged,
  };
}

/**
 * Generates the cluster's PKI into `dir`: CAs (reused when present), the service-account key
 * pair, the encryption config, and every leaf certificate that is missing or no longer matches
 * its plan or CA. Existing valid leaves are kept, so re-running after adding a node only issues
 * that node's certificates.
 */
export function generatePki(
  source: PkiSource,
  dir: string,
  options: PkiWriteOptions = {},
): Promise<PkiReport> {
  return writePki(source, dir, "generate", options);
}

/**
 * Re-issues every leaf certificate (node and user) with the existing CAs, keeping each leaf's key
 * when it still matches. Fails with PKI_MISSING when a CA is absent.
 */
export function renewPki(
  source: PkiSource,
  dir: string,
  options: Omit<PkiWriteOptions, "force"> = {},
): Promise<PkiReport> {
  return writePki(source, dir, "renew", options);
}
