import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ETCD_BACKUP_SCRIPT } from "../../lib/etcd/backup";
import { ETCD_RESTORE_SCRIPT, RESTORE_HELD_DIR } from "../../lib/etcd/restore";
import { ETCD_PKI_DIR, MANIFESTS_DIR, paths } from "../../lib/paths";
import { generatePki, pkiLayout } from "../../lib/pki/store";
import { ETCD_CLIENT_PORT, ETCD_METRICS_PORT, ETCD_PEER_PORT } from "../../lib/spec/model";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import { fileOf, nodeOf, podFlags, render, tempDir } from "../util";
import {
  type CtlResult,
  type CtlTls,
  claimMemberAddresses,
  EtcdProcess,
  etcdctl,
  exitedMembers,
  freePort,
  installedEtcdVersion,
  keysOn,
  waitFor,
} from "./etcd-harness";

/**
 * The generated backup and restore scripts against a real 3-member etcd cluster (Debian's
 * etcd-server) started with the synthesized flags and the generated PKI. The scripts run with bash
 * exactly as generated except for host paths, the loopback client/metrics ports (as in etcd.test.ts)
 * and, through the scripts' documented KUBEFORGE_ETCDCTL override, the host's etcdctl instead of the
 * etcd image (no containerd here). The test plays the kubelet: a manifest that leaves the manifests
 * directory stops its member, one that comes back starts it.
 */

const MEMBERS = ["m1", "m2", "m3"] as const;
type Name = (typeof MEMBERS)[number];
const WAIT = { timeoutMs: 20_000, intervalMs: 200 };
const RETENTION = 2;
const BACKUP_DIR = "/var/backups/etcd";
/** Variables of the scripts whose values this test may substitute (paths and loopback URLs). */
const MAPPED_VARIABLES = {
  backup: ["BACKUP_DIR", "CACERT", "CERT", "ENDPOINT", "KEY", "PKI_DIR"],
  restore: ["DATA_DIR", "HELD_DIR", "MANIFESTS_DIR", "METRICS_URL"],
};

interface Member {
  readonly name: Name;
  readonly clientUrl: string;
  /** Synthesized etcd flags with host paths and the loopback ports mapped into the temp dir. */
  readonly flags: Map<string, string>;
  readonly dataDir: string;
  readonly backupDir: string;
  readonly manifestsDir: string;
  readonly heldDir: string;
  readonly backupScript: string;
  readonly restoreScript: string;
  process: EtcdProcess;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a generated script with bash, no shell around it, killed after `timeoutMs`. */
function bash(script: string, args: readonly string[], timeoutMs = 30_000): Promise<Run> {
  const etcdctlPath = execFileSync("bash", ["-c", "command -v etcdctl"]).toString().trim();
  return new Promise((resolve) => {
    execFile(
      "bash",
      [script, ...args],
      {
        timeout: timeoutMs,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", KUBEFORGE_ETCDCTL: etcdctlPath },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Replaces the single-quoted value of `readonly NAME='…'` lines; returns the names it changed. */
function mapScript(text: string, map: (name: string, value: string) => string): [string, string[]] {
  const changed: string[] = [];
  const out = text.replace(/^readonly ([A-Z_]+)='([^']*)'$/gm, (line, name: string, value: string) => {
    const mapped = map(name, value);
    if (mapped === value) return line;
    changed.push(name);
    return `readonly ${name}='${mapped}'`;
  });
  return [out, changed.sort()];
}

describe("etcd backup and restore with the generated scripts", () => {
  const tmp = tempDir("kubeforge-backup-");
  const pkiDir = path.join(tmp.dir, "pki");
  const members: Member[] = [];
  const keys = new Map<string, string>();
  const changedVariables: Record<string, string[]> = {};
  let tls: CtlTls;
  let releaseAddresses = () => {};
  let snapshot = "";
  const started = Date.now();

  const logs = () => members.map((m) => m.process.logTail()).join("\n");
  const ok = (r: CtlResult | Run, what: string) => {
    if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr || r.stdout}\n${logs()}`);
    return r;
  };
  const ctl = (args: string[], list: readonly Member[] = members) =>
    etcdctl(
      args,
      tls,
      list.map((m) => m.clientUrl),
    );

  function startMember(m: Member): void {
    m.process = new EtcdProcess(
      m.name,
      [...m.flags].map(([k, v]) => `--${k}=${v}`),
      path.join(tmp.dir, `${m.name}.log`),
    );
    m.process.start();
  }

  async function waitHealthy(list: readonly Member[]): Promise<void> {
    await waitFor(
      "members healthy",
      async () => ((await ctl(["endpoint", "health"], list)).code === 0 ? true : undefined),
      { ...WAIT, diagnose: logs, abort: () => exitedMembers(list) },
    );
  }

  async function putKeys(prefix: string, count: number, into?: Map<string, string>): Promise<void> {
    for (let i = 0; i < count; i++) {
      const key = `/kubeforge/${prefix}/${String(i).padStart(3, "0")}`;
      ok(await ctl(["put", key, `${prefix}-${i}`]), `put ${key}`);
      into?.set(key, `${prefix}-${i}`);
    }
  }

  beforeAll(async () => {
    const version = await installedEtcdVersion();
    if (version === undefined)
      throw new Error("etcd is not installed: apt-get install -y etcd-server etcd-client");
    const claim = await claimMemberAddresses([ETCD_CLIENT_PORT, ETCD_PEER_PORT]);
    releaseAddresses = claim.release;
    const addresses = { m1: claim.addresses[0], m2: claim.addresses[1], m3: claim.addresses[2] };
    const spec: ClusterSpecInput = {
      name: "backup",
      controlPlane: { endpoint: { host: addresses.m1.replace(/\.11$/, ".10"), port: 6443 } },
      etcd: { version, backup: { retention: RETENTION } },
      nodes: MEMBERS.map((name) => ({ name, roles: ["control-plane", "etcd"], address: addresses[name] })),
    };
    const { cluster, rendered } = render(spec);
    await generatePki(cluster, pkiDir);

    for (const name of MEMBERS) {
      const secretPaths = nodeOf(rendered, name).secretPaths;
      const clientPort = await freePort();
      const metricsPort = await freePort();
      const dir = (what: string) => path.join(tmp.dir, what, name);
      const m = {
        dataDir: dir("data"),
        backupDir: dir("backups"),
        manifestsDir: dir("manifests"),
        heldDir: dir("held"),
      };
      const mapPath = (value: string): string => {
        if (value === cluster.spec.etcd.dataDir) return m.dataDir;
        if (value === BACKUP_DIR) return m.backupDir;
        if (value === MANIFESTS_DIR) return m.manifestsDir;
        if (value === RESTORE_HELD_DIR) return m.heldDir;
        if (value === ETCD_PKI_DIR) return pkiLayout.nodeFile(pkiDir, name, ETCD_PKI_DIR);
        if (secretPaths.includes(value)) return pkiLayout.nodeFile(pkiDir, name, value);
        throw new Error(`${value} is a host path this test does not map`);
      };
      const mapValue = (value: string): string =>
        (value.startsWith("/") ? mapPath(value) : value)
          .replace(
            new RegExp(`(?<=//)127\\.0\\.0\\.1:${ETCD_CLIENT_PORT}\\b`, "g"),
            `127.0.0.1:${clientPort}`,
          )
          .replace(
            new RegExp(`(?<=//)127\\.0\\.0\\.1:${ETCD_METRICS_PORT}\\b`, "g"),
            `127.0.0.1:${metricsPort}`,
          );

      const manifestText = fileOf(rendered, name, `${MANIFESTS_DIR}/etcd.yaml`);
      const flags = new Map([...podFlags(parse(manifestText))].map(([k, v]) => [k, mapValue(v)]));
      fs.mkdirSync(m.manifestsDir, { recursive: true });
      fs.writeFileSync(path.join(m.manifestsDir, "etcd.yaml"), manifestText);
      fs.writeFileSync(
        path.join(m.manifestsDir, "kube-apiserver.yaml"),
        fileOf(rendered, name, `${MANIFESTS_DIR}/kube-apiserver.yaml`),
      );

      const scripts: Record<"backup" | "restore", string> = { backup: "", restore: "" };
      for (const [kind, hostPath] of [
        ["backup", ETCD_BACKUP_SCRIPT],
        ["restore", ETCD_RESTORE_SCRIPT],
      ] as const) {
        const [text, changed] = mapScript(fileOf(rendered, name, hostPath), (_n, v) => mapValue(v));
        changedVariables[`${name}/${kind}`] = changed;
        scripts[kind] = path.join(tmp.dir, `${name}-${kind}.sh`);
        fs.writeFileSync(scripts[kind], text, { mode: 0o700 });
      }
      members.push({
        name,
        clientUrl: `https://${addresses[name]}:${ETCD_CLIENT_PORT}`,
        flags,
        ...m,
        backupScript: scripts.backup,
        restoreScript: scripts.restore,
        process: new EtcdProcess(name, [], path.join(tmp.dir, `${name}.log`)),
      });
    }
    tls = {
      cacert: pkiLayout.nodeFile(pkiDir, "m1", paths.etcdCaCert),
      cert: pkiLayout.nodeFile(pkiDir, "m1", paths.apiServerEtcdClientCert),
      key: pkiLayout.nodeFile(pkiDir, "m1", paths.apiServerEtcdClientKey),
    };
    for (const m of members) startMember(m);
    await waitHealthy(members);
  });

  afterAll(async () => {
    const errors: unknown[] = [];
    for (const m of members) {
      try {
        await m.process.kill("SIGKILL");
      } catch (e) {
        errors.push(e);
      }
    }
    tmp.cleanup();
    releaseAddresses();
    process.stdout.write(`backup/restore integration: ${Date.now() - started} ms in total\n`);
    if (errors.length > 0) throw errors[0];
  });

  it("changes only path and loopback-URL variables of the generated scripts", () => {
    for (const name of MEMBERS) {
      expect(changedVariables[`${name}/backup`]).toStrictEqual(MAPPED_VARIABLES.backup);
      expect(changedVariables[`${name}/restore`]).toStrictEqual(MAPPED_VARIABLES.restore);
    }
  });

  it("snapshots a member with the healthcheck client certificate and keeps the newest RETENTION", async () => {
    await putKeys("before-backup", 30, keys);
    const m1 = members[0] as Member;
    fs.mkdirSync(m1.backupDir, { recursive: true });
    const seeded = [
      "etcd-m1-20000101T000000Z.db",
      "etcd-m1-20000101T000001Z.db",
      "etcd-m1-20000101T000002Z.db",
    ];
    for (const f of [...seeded, "etcd-m2-20000101T000000Z.db", "notes.txt"])
      fs.writeFileSync(path.join(m1.backupDir, f), "old");

    const run = ok(await bash(m1.backupScript, []), "backup script");
    const files = fs.readdirSync(m1.backupDir).sort();
    const fresh = files.filter((f) => /^etcd-m1-\d{8}T\d{6}Z\.db$/.test(f) && !seeded.includes(f));
    expect(fresh).toHaveLength(1);
    // RETENTION = 2: the new snapshot and the newest old one; other members' files and other files stay.
    expect(files).toStrictEqual(
      [fresh[0], "etcd-m1-20000101T000002Z.db", "etcd-m2-20000101T000000Z.db", "notes.txt"].sort(),
    );
    expect(run.stdout).toContain(`${fresh[0]} (2 kept)`);
    expect(fs.statSync(m1.backupDir).mode & 0o777).toBe(0o700);
    snapshot = path.join(m1.backupDir, fresh[0] as string);
    expect(fs.statSync(snapshot).mode & 0o777).toBe(0o600);
    // The other members back up themselves too.
    for (const m of members.slice(1)) {
      ok(await bash(m.backupScript, []), `backup on ${m.name}`);
      expect(fs.readdirSync(m.backupDir).filter((f) => f.startsWith(`etcd-${m.name}-`))).toHaveLength(1);
    }
  });

  it("refuses to restore over a running member, leaving its data alone", async () => {
    const m1 = members[0] as Member;
    const before = fs.readdirSync(m1.dataDir).sort();
    const r = await bash(m1.restoreScript, ["restore", snapshot]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("still running");
    expect(fs.readdirSync(m1.dataDir).sort()).toStrictEqual(before);
    // `wait` succeeds at once on a member that serves.
    const m = members[1] as Member;
    expect((await bash(m.restoreScript, ["wait", "1"], 10_000)).code).toBe(0);
  });

  it("restores every key into a destroyed cluster, members started one at a time", async () => {
    // Written after the snapshot: must NOT come back, proving the data is the snapshot's.
    await putKeys("after-backup", 5);

    // 1. stop: the script parks the manifests; the "kubelet" (this test) stops what was parked.
    for (const m of members) {
      const stop = bash(m.restoreScript, ["stop"]);
      await waitFor(
        `${m.name} manifest parked`,
        async () => (fs.existsSync(path.join(m.manifestsDir, "etcd.yaml")) ? undefined : true),
        WAIT,
      );
      await m.process.kill("SIGKILL");
      ok(await stop, `stop on ${m.name}`);
      expect(fs.readdirSync(m.heldDir).sort()).toStrictEqual(["etcd.yaml", "kube-apiserver.yaml"]);
      expect(fs.readdirSync(m.manifestsDir)).toStrictEqual([]);
    }
    // The member that is down makes `wait` fail after its bound.
    const wait = await bash((members[0] as Member).restoreScript, ["wait", "1"], 10_000);
    expect(wait.code).not.toBe(0);

    // Destroy: every data directory is gone.
    for (const m of members) fs.rmSync(m.dataDir, { recursive: true, force: true });

    // 2. restore the same snapshot (copied to each member) on every member.
    for (const m of members) {
      const copy = path.join(tmp.dir, "transfer", m.name, path.basename(snapshot));
      fs.mkdirSync(path.dirname(copy), { recursive: true });
      fs.copyFileSync(snapshot, copy);
      const r = ok(await bash(m.restoreScript, ["restore", copy]), `restore on ${m.name}`);
      expect(r.stdout).toContain(`${m.name} restored`);
      expect(fs.statSync(m.dataDir).mode & 0o777).toBe(0o700);
      expect(fs.existsSync(`${m.dataDir}.restoring`)).toBe(false);
    }

    // 3. start one member at a time: the script returns the manifest and waits until etcd serves.
    for (const m of members) {
      const start = bash(m.restoreScript, ["start"], 60_000);
      await waitFor(
        `${m.name} manifest back`,
        async () => (fs.existsSync(path.join(m.manifestsDir, "etcd.yaml")) ? true : undefined),
        WAIT,
      );
      const t0 = Date.now();
      startMember(m);
      const r = ok(await start, `start on ${m.name}`);
      expect(r.stdout).toContain(`${m.name} is serving`);
      // Started alone, a member does not sit out the corruption check's peer timeout.
      expect(Date.now() - t0).toBeLessThan(6_000);
      expect(m.process.logSinceStart()).toContain('"msg":"serving peer traffic"');
    }

    // 4. finish: the API server manifests return.
    for (const m of members) {
      ok(await bash(m.restoreScript, ["finish"]), `finish on ${m.name}`);
      expect(fs.readdirSync(m.manifestsDir).sort()).toStrictEqual(["etcd.yaml", "kube-apiserver.yaml"]);
    }

    await waitHealthy(members);
    for (const m of members) {
      const served = await waitFor(
        `${m.name} serving the restored keys`,
        async () => {
          const r = await keysOn(m, tls);
          return r.size === keys.size ? r : undefined;
        },
        { ...WAIT, diagnose: logs },
      );
      expect(served).toStrictEqual(keys);
    }
    ok(await ctl(["put", "/kubeforge/after-restore", "ok"]), "put after restore");
  });
});
