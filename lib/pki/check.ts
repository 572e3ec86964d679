import "reflect-metadata";
import * as path from "node:path";
import * as x509 from "@peculiar/x509";
import { parse } from "yaml";
import type { ErrorCode } from "../errors";
import {
  type CertificateFacts,
  type CertificateProblem,
  certificateFacts,
  certificatePemOf,
  inspectCertificate,
  privateKeyPemOf,
} from "./generate";
import type { CaId, CertificatePlan } from "./plan";
import { type PkiSource, pkiLayout, readIfExists } from "./store";

/** A problem `pki check` reports: a certificate problem, or one about the file itself. */
export type CheckProblem =
  | CertificateProblem
  | "missing"
  /** Fewer days left than the threshold. */
  | "expiring"
  /** A node's copy of shared material (a CA, the service-account key…) differs from `ca/`. */
  | "differs-from-shared";

/** The verdict on one certificate (or one missing secret file). */
export interface CertificateCheck {
  /** `ca`, `users`, or the node name. */
  readonly owner: string;
  /** The CA id, the certificate's plan id, or the host path of a non-certificate file. */
  readonly id: string;
  /** Path relative to the PKI directory. */
  readonly file: string;
  /** Absent when the file is missing. */
  readonly facts?: CertificateFacts;
  /** Whole days until notAfter (negative once expired). */
  readonly daysLeft?: number;
  readonly problems: readonly CheckProblem[];
}

/** Every check, and the error code the worst problem maps to (undefined when all is well). */
export interface PkiCheckResult {
  readonly checks: readonly CertificateCheck[];
  readonly code?: ErrorCode;
}

/** Options of {@link checkPki}. */
export interface PkiCheckOptions {
  /** The clock, for tests. @default now */
  readonly now?: Date;
  /** Certificates with fewer days left fail the check. @default 30 */
  readonly thresholdDays?: number;
}

/** Default of `pki check --threshold-days`. */
export const DEFAULT_THRESHOLD_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

// Most serious first: a missing file hides everything else, a broken chain outranks a plan drift.
const CODE_OF: readonly [ErrorCode, readonly CheckProblem[]][] = [
  ["PKI_MISSING", ["missing"]],
  ["CHAIN_INVALID", ["chain", "differs-from-shared"]],
  ["CERT_MISMATCH", ["key-mismatch", "plan-mismatch"]],
  ["CERT_EXPIRING", ["expired", "not-yet-valid", "expiring"]],
];

function codeOf(checks: readonly CertificateCheck[]): ErrorCode | undefined {
  for (const [code, problems] of CODE_OF) {
    if (checks.some((c) => c.problems.some((p) => problems.includes(p)))) return code;
  }
  return undefined;
}

/**
 * Checks a PKI directory against the cluster's plan: every secret file of every node exists,
 * node copies of shared material equal `ca/`, every certificate chains to its CA, matches its key
 * and plan, and has at least `thresholdDays` left.
 */
export async function checkPki(
  source: PkiSource,
  dir: string,
  options: PkiCheckOptions = {},
): Promise<PkiCheckResult> {
  const { pki: plan } = source;
  const now = options.now ?? new Date();
  const threshold = options.thresholdDays ?? DEFAULT_THRESHOLD_DAYS;
  const checks: CertificateCheck[] = [];
  const rel = (file: string) => path.relative(dir, file);

  const withExpiry = (
    owner: string,
    id: string,
    file: string,
    facts: CertificateFacts,
    problems: CheckProblem[],
  ): CertificateCheck => {
    const daysLeft = Math.floor((facts.notAfter.getTime() - now.getTime()) / DAY_MS);
    if (daysLeft < threshold && !problems.includes("expired")) problems.push("expiring");
    return { owner, id, file: rel(file), facts, daysLeft, problems };
  };

  const cas = new Map<CaId, x509.X509Certificate>();
  const shared = new Map<string, string | undefined>();
  for (const authority of plan.authorities) {
    const certFile = pkiLayout.caCert(dir, authority.id);
    const keyFile = pkiLayout.caKey(dir, authority.id);
    const certPem = readIfExists(certFile);
    const keyPem = readIfExists(keyFile);
    shared.set(authority.certPath, certPem);
    shared.set(authority.keyPath, keyPem);
    if (certPem === undefined) {
      checks.push({ owner: "ca", id: authority.id, file: rel(certFile), problems: ["missing"] });
      continue;
    }
    const cert = new x509.X509Certificate(certPem);
    cas.set(authority.id, cert);
    const { problems } = await inspectCertificate(certPem, { ca: cert, keyPem, now });
    const all: CheckProblem[] = keyPem === undefined ? [...problems, "missing"] : problems;
    checks.push(withExpiry("ca", authority.id, certFile, certificateFacts(cert), all));
  }
  shared.set(plan.serviceAccount.keyPath, readIfExists(pkiLayout.serviceAccountKey(dir)));
  shared.set(plan.serviceAccount.publicKeyPath, readIfExists(pkiLayout.serviceAccountPub(dir)));

  const leafCheck = async (
    owner: string,
    certificate: CertificatePlan,
    file: string,
    certText: string | undefined,
    keyText: string | undefined,
  ): Promise<CertificateCheck> => {
    const certPem = certText && certificatePemOf(certText);
    if (!certPem) return { owner, id: certificate.id, file: rel(file), problems: ["missing"] };
    const ca = cas.get(certificate.ca);
    const keyPem = keyText && privateKeyPemOf(keyText);
    if (!ca) {
      const facts = certificateFacts(new x509.X509Certificate(certPem));
      return withExpiry(owner, certificate.id, file, facts, ["chain"]);
    }
    const { facts, problems } = await inspectCertificate(certPem, {
      ca,
      keyPem: keyPem || undefined,
      plan: certificate,
      now,
    });
    const all: CheckProblem[] = [...problems];
    if (!keyPem) all.push("missing");
    return withExpiry(owner, certificate.id, file, facts, all);
  };

  for (const nodePlan of plan.nodes) {
    const node = nodePlan.node;
    const host = source.hosts.get(node);
    const certPaths = new Set(nodePlan.certificates.flatMap((c) => [c.certPath, c.keyPath]));
    for (const hostPath of host?.secretPaths ?? []) {
      if (certPaths.has(hostPath)) continue;
      const file = pkiLayout.nodeFile(dir, node, hostPath);
      const content = readIfExists(file);
      const expected = shared.get(hostPath);
      const authority = plan.authorities.find((a) => a.certPath === hostPath);
      const problems: CheckProblem[] = [];
      if (content === undefined) problems.push("missing");
      else if (shared.has(hostPath) && content !== expected) problems.push("differs-from-shared");
      if (authority && content !== undefined) {
        checks.push(
          withExpiry(node, authority.id, file, certificateFacts(new x509.X509Certificate(content)), problems),
        );
      } else if (problems.length > 0) {
        checks.push({ owner: node, id: hostPath, file: rel(file), problems });
      }
    }
    for (const certificate of nodePlan.certificates) {
      const file = pkiLayout.nodeFile(dir, node, certificate.certPath);
      const certText = readIfExists(file);
      const keyText =
        certificate.keyPath === certificate.certPath
          ? certText
          : readIfExists(pkiLayout.nodeFile(dir, node, certificate.keyPath));
      checks.push(await leafCheck(node, certificate, file, certText, keyText));
    }
  }

  for (const user of plan.users) {
    const file = pkiLayout.userKubeconfig(dir, user.id);
    const text = readIfExists(file);
    const doc = (text === undefined ? undefined : parse(text)) as
      | { users?: { user?: Record<string, string> }[] }
      | undefined;
    const creds = doc?.users?.[0]?.user ?? {};
    const decode = (b64: string | undefined) =>
      b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("utf8");
    checks.push(
      await leafCheck(
        "users",
        user,
        file,
        decode(creds["client-certificate-data"]),
        decode(creds["client-key-data"]),
      ),
    );
  }

  return { checks, code: codeOf(checks) };
}

/** One line per certificate: status, days left, notAfter, owner/id, subject, issuer, SANs. */
export function formatPkiCheck(result: PkiCheckResult): string {
  const rows = result.checks.map((c) => [
    c.problems.length === 0 ? "OK" : c.problems.join(",").toUpperCase(),
    c.daysLeft === undefined ? "-" : String(c.daysLeft),
    c.facts ? c.facts.notAfter.toISOString().replace(/\.\d{3}Z$/, "Z") : "-",
    `${c.owner}/${c.id}`,
    c.facts?.subject ?? c.file,
    c.facts?.issuer ?? "-",
    c.facts ? c.facts.sans.join(",") || "-" : "-",
  ]);
  const header = ["STATUS", "DAYS", "NOT AFTER", "CERTIFICATE", "SUBJECT", "ISSUER", "SANS"];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return `${all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
