import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cluster } from "../../lib/cluster";
import { paths } from "../../lib/paths";
import { type CertificateCheck, checkPki, formatPkiCheck } from "../../lib/pki/check";
import { generatePki, pkiLayout } from "../../lib/pki/store";
import { defaultSpec, render, tempDir } from "../util";

const DAY = 24 * 60 * 60 * 1000;

function find(checks: readonly CertificateCheck[], owner: string, id: string): CertificateCheck {
  const c = checks.find((x) => x.owner === owner && x.id === id);
  if (!c) throw new Error(`no check ${owner}/${id}`);
  return c;
}

describe("checkPki", () => {
  const tmp = tempDir("kubeforge-check-");
  let cluster: Cluster;
  let pristine: string;
  let foreign: string;
  let work: string;

  beforeAll(async () => {
    cluster = render().cluster;
    pristine = path.join(tmp.dir, "pristine");
    foreign = path.join(tmp.dir, "foreign");
    await generatePki(cluster, pristine);
    // A second, independent PKI for the same cluster: same names, other CAs.
    await generatePki(cluster, foreign);
  });
  afterAll(() => tmp.cleanup());

  /** A fresh copy of the pristine PKI to damage. */
  function copy(): string {
    work = path.join(tmp.dir, `work-${Math.random().toString(36).slice(2)}`);
    fs.cpSync(pristine, work, { recursive: true });
    return work;
  }

  it("passes a freshly generated PKI and reports every certificate with its facts", async () => {
    const result = await checkPki(cluster, pristine);
    expect(result.code).toBeUndefined();
    expect(result.checks.filter((c) => c.problems.length > 0)).toStrictEqual([]);
    const leaves = cluster.pki.nodes.reduce((n, p) => n + p.certificates.length, 0);
    const caCopies = cluster.pki.nodes.reduce((n, p) => n + p.caCerts.length, 0);
    expect(result.checks).toHaveLength(3 + caCopies + leaves + cluster.pki.users.length);
    const apiserver = find(result.checks, "cp-1", "apiserver");
    expect(apiserver.facts?.subject).toBe("CN=kube-apiserver");
    expect(apiserver.facts?.issuer).toBe("CN=kubernetes");
    expect(apiserver.facts?.sans).toContain("IP:10.96.0.1");
    expect(apiserver.facts?.sans).toContain("DNS:kubernetes.default.svc.cluster.local");
    expect(apiserver.daysLeft).toBe(364);
    expect(apiserver.file).toBe("nodes/cp-1/etc/kubernetes/pki/apiserver.crt");
    expect(find(result.checks, "ca", "etcd-ca").daysLeft).toBe(3649);
    expect(find(result.checks, "users", "super-admin").facts?.subject).toBe(
      "O=system:masters, CN=kubeforge-super-admin",
    );
  });

  it("flags certificates below the threshold (CERT_EXPIRING)", async () => {
    const in340Days = new Date(Date.now() + 340 * DAY);
    const result = await checkPki(cluster, pristine, { now: in340Days });
    expect(result.code).toBe("CERT_EXPIRING");
    expect(find(result.checks, "worker-2", "kubelet-serving").problems).toStrictEqual(["expiring"]);
    expect(find(result.checks, "ca", "kubernetes-ca").problems).toStrictEqual([]);
    // With a lower threshold the same day passes.
    expect((await checkPki(cluster, pristine, { now: in340Days, thresholdDays: 20 })).code).toBeUndefined();
    const expired = await checkPki(cluster, pristine, { now: new Date(Date.now() + 400 * DAY) });
    expect(expired.code).toBe("CERT_EXPIRING");
    expect(find(expired.checks, "cp-1", "etcd-peer").problems).toStrictEqual(["expired"]);
  });

  it("flags a certificate another CA signed (CHAIN_INVALID)", async () => {
    const dir = copy();
    for (const p of [paths.apiServerCert, paths.apiServerKey]) {
      fs.copyFileSync(pkiLayout.nodeFile(foreign, "cp-2", p), pkiLayout.nodeFile(dir, "cp-2", p));
    }
    const result = await checkPki(cluster, dir);
    expect(result.code).toBe("CHAIN_INVALID");
    expect(find(result.checks, "cp-2", "apiserver").problems).toStrictEqual(["chain"]);
    expect(result.checks.filter((c) => c.problems.length > 0)).toHaveLength(1);
  });

  it("flags a node whose copy of a CA differs from the shared one (CHAIN_INVALID)", async () => {
    const dir = copy();
    fs.copyFileSync(
      pkiLayout.nodeFile(foreign, "worker-1", paths.caCert),
      pkiLayout.nodeFile(dir, "worker-1", paths.caCert),
    );
    const result = await checkPki(cluster, dir);
    expect(result.code).toBe("CHAIN_INVALID");
    expect(find(result.checks, "worker-1", "kubernetes-ca").problems).toStrictEqual(["differs-from-shared"]);
  });

  it("flags a key that belongs to another certificate (CERT_MISMATCH)", async () => {
    const dir = copy();
    fs.copyFileSync(
      pkiLayout.nodeFile(dir, "cp-1", paths.etcdPeerKey),
      pkiLayout.nodeFile(dir, "cp-1", paths.etcdServerKey),
    );
    const result = await checkPki(cluster, dir);
    expect(result.code).toBe("CERT_MISMATCH");
    expect(find(result.checks, "cp-1", "etcd-server").problems).toStrictEqual(["key-mismatch"]);
  });

  it("flags certificates that no longer match the plan after a node's address changed (CERT_MISMATCH)", async () => {
    const spec = defaultSpec();
    (spec.nodes[0] as { address: string }).address = "192.0.2.41";
    const moved = render(spec).cluster;
    const result = await checkPki(moved, pristine);
    expect(result.code).toBe("CERT_MISMATCH");
    const flagged = result.checks.filter((c) => c.problems.length > 0).map((c) => `${c.owner}/${c.id}`);
    expect(flagged.sort()).toStrictEqual([
      "cp-1/apiserver",
      "cp-1/etcd-peer",
      "cp-1/etcd-server",
      "cp-1/kubelet-serving",
    ]);
  });

  it("flags a missing file, which outranks every other problem (PKI_MISSING)", async () => {
    const dir = copy();
    fs.rmSync(pkiLayout.nodeFile(dir, "worker-3", paths.kubeletServingKey));
    fs.rmSync(pkiLayout.nodeFile(dir, "cp-3", paths.serviceAccountKey));
    const result = await checkPki(cluster, dir, { now: new Date(Date.now() + 400 * DAY) });
    expect(result.code).toBe("PKI_MISSING");
    expect(find(result.checks, "worker-3", "kubelet-serving").problems).toContain("missing");
    expect(find(result.checks, "cp-3", paths.serviceAccountKey).problems).toStrictEqual(["missing"]);
    const empty = await checkPki(cluster, path.join(tmp.dir, "does-not-exist"));
    expect(empty.code).toBe("PKI_MISSING");
    expect(empty.checks.every((c) => c.problems.includes("missing") || c.problems.includes("chain"))).toBe(
      true,
    );
  });

  it("formats one table row per certificate with status, days, subject, issuer and SANs", async () => {
    const result = await checkPki(cluster, pristine);
    const lines = formatPkiCheck(result).trimEnd().split("\n");
    expect(lines).toHaveLength(result.checks.length + 1);
    expect(lines[0]).toMatch(/^STATUS\s+DAYS\s+NOT AFTER\s+CERTIFICATE\s+SUBJECT\s+ISSUER\s+SANS$/);
    const row = lines.find((l) => l.includes(" cp-1/apiserver "));
    expect(row).toMatch(
      /^OK\s+364\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+cp-1\/apiserver\s+CN=kube-apiserver\s+CN=kubernetes\s+DNS:cp-1,/,
    );
  });
});
