import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { paths } from "../../lib/paths";
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
 * A real 3-member etcd cluster (Debian's etcd-server) started with exactly the flags of the
 * synthesized static pods and the PKI from `generatePki`. Only host paths and the two loopback
 * listeners that every member would bind (127.0.0.1:2379 client, 127.0.0.1:2381 metrics) are
 * substituted; member addresses are 127.0.0.11-13 (127.0.N.11-13 when a concurrent run holds those),
 * so peer and advertise URLs stay as synthesized.
 */

const MEMBERS = ["m1", "m2", "m3"] as const;
/** Flags whose values are host paths or the shared loopback listeners: the only ones we may change. */
const SUBSTITUTED = [
  "cert-file",
  "data-dir",
  "key-file",
  "listen-client-urls",
  "listen-metrics-urls",
  "peer-cert-file",
  "peer-key-file",
  "peer-trusted-ca-file",
  "trusted-ca-file",
];
const WAIT = { timeoutMs: 20_000, intervalMs: 200 };

interface Member {
  readonly name: (typeof MEMBERS)[number];
  readonly clientUrl: string;
  readonly localUrl: string;
  /** Synthesized flags, in manifest order. */
  readonly synthesized: Map<string, string>;
  readonly dataDir: string;
  process: EtcdProcess;
}

function argsFor(flags: ReadonlyMap<string, string>): string[] {
  return [...flags].map(([k, v]) => `--${k}=${v}`);
}

describe("etcd 3-member cluster from the synthesized static pods", () => {
  const tmp = tempDir("kubeforge-etcd-");
  const pkiDir = path.join(tmp.dir, "pki");
  const members: Member[] = [];
  const extra: EtcdProcess[] = [];
  let tls: CtlTls;
  let synthesizedFlagsByMember: Map<string, Map<string, string>>;
  let localFlagsByMember: Map<string, Map<string, string>>;
  let version: string | undefined;
  const started = Date.now();
  const keys = new Map<string, string>();
  let releaseAddresses = () => {};
  /** Member addresses: 127.0.0.11-13 unless a concurrent run holds them (see claimMemberAddresses). */
  const addresses = { m1: "", m2: "", m3: "" };

  const all = () => [...members.map((m) => m.process), ...extra];
  const logs = () =>
    all()
      .map((p) => p.logTail())
      .join("\n");
  const endpoints = (list: readonly Member[] = members) => list.map((m) => m.clientUrl);
  const ctl = (args: string[], list?: readonly Member[], t: CtlTls | undefined = tls) =>
    etcdctl(args, t, endpoints(list));
  const ok = (r: CtlResult, what: string) => {
    if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr || r.stdout}\n${logs()}`);
    return r;
  };

  async function waitHealthy(list: readonly Member[]): Promise<void> {
    await waitFor(
      `${list.map((m) => m.name).join(",")} healthy`,
      async () => {
        const r = await ctl(["endpoint", "health"], list);
        return r.code === 0 ? true : undefined;
      },
      { ...WAIT, diagnose: logs, abort: () => exitedMembers(list) },
    );
  }

  function startMember(m: Member, dataDir: string): EtcdProcess {
    const flags = new Map(localFlagsByMember.get(m.name));
    flags.set("data-dir", dataDir);
    const p = new EtcdProcess(m.name, argsFor(flags), path.join(tmp.dir, `${m.name}.log`));
    p.start();
    return p;
  }

  async function putKeys(prefix: string, count: number, list?: readonly Member[]): Promise<void> {
    for (let i = 0; i < count; i++) {
      const key = `/kubeforge/${prefix}/${String(i).padStart(3, "0")}`;
      const value = `${prefix}-value-${i}`;
      ok(await ctl(["put", key, value], list), `put ${key}`);
      keys.set(key, value);
    }
  }

  beforeAll(async () => {
    version = await installedEtcdVersion();
    if (version === undefined) {
      throw new Error("etcd is not installed: apt-get install -y etcd-server etcd-client (see .ci/run)");
    }
    const claim = await claimMemberAddresses([ETCD_CLIENT_PORT, ETCD_PEER_PORT]);
    releaseAddresses = claim.release;
    const [a1, a2, a3] = claim.addresses;
    Object.assign(addresses, { m1: a1, m2: a2, m3: a3 });
    const spec: ClusterSpecInput = {
      name: "itest",
      controlPlane: { endpoint: { host: a1.replace(/\.11$/, ".10"), port: 6443 } },
      etcd: { version },
      nodes: MEMBERS.map((name) => ({ name, roles: ["control-plane", "etcd"], address: addresses[name] })),
    };
    const { cluster, rendered } = render(spec);
    await generatePki(cluster, pkiDir);

    synthesizedFlagsByMember = new Map();
    localFlagsByMember = new Map();
    for (const name of MEMBERS) {
      const manifest = parse(fileOf(rendered, name, "/etc/kubernetes/manifests/etcd.yaml"));
      expect(manifest.spec.containers[0].command[0]).toBe("etcd");
      const synthesized = podFlags(manifest);
      const secretPaths = nodeOf(rendered, name).secretPaths;
      const clientPort = await freePort();
      const metricsPort = await freePort();
      const dataDir = path.join(tmp.dir, "data", name);
      const local = new Map<string, string>();
      for (const [flag, value] of synthesized) {
        let v = value;
        if (v.startsWith("/")) {
          if (v === cluster.spec.etcd.dataDir) v = dataDir;
          else if (secretPaths.includes(v)) v = pkiLayout.nodeFile(pkiDir, name, v);
          else throw new Error(`--${flag}=${v} names a host path this test does not map`);
        }
        v = v
          .replace(
            new RegExp(`(?<=//)127\\.0\\.0\\.1:${ETCD_CLIENT_PORT}\\b`, "g"),
            `127.0.0.1:${clientPort}`,
          )
          .replace(
            new RegExp(`(?<=//)127\\.0\\.0\\.1:${ETCD_METRICS_PORT}\\b`, "g"),
            `127.0.0.1:${metricsPort}`,
          );
        local.set(flag, v);
      }
      synthesizedFlagsByMember.set(name, synthesized);
      localFlagsByMember.set(name, local);
      members.push({
        name,
        clientUrl: `https://${addresses[name]}:${ETCD_CLIENT_PORT}`,
        localUrl: `https://127.0.0.1:${clientPort}`,
        synthesized,
        dataDir,
        process: new EtcdProcess(name, [], path.join(tmp.dir, `${name}.log`)),
      });
    }
    tls = {
      cacert: pkiLayout.nodeFile(pkiDir, "m1", paths.etcdCaCert),
      cert: pkiLayout.nodeFile(pkiDir, "m1", paths.apiServerEtcdClientCert),
      key: pkiLayout.nodeFile(pkiDir, "m1", paths.apiServerEtcdClientKey),
    };
    for (const m of members) m.process = startMember(m, m.dataDir);
    await waitHealthy(members);
  });

  afterAll(async () => {
    const errors: unknown[] = [];
    for (const p of all()) {
      try {
        await p.kill("SIGKILL");
      } catch (e) {
        errors.push(e);
      }
    }
    tmp.cleanup();
    releaseAddresses();
    process.stdout.write(`etcd integration: ${Date.now() - started} ms in total\n`);
    if (errors.length > 0) throw errors[0];
  });

  it("runs etcd with exactly the synthesized flags, substituting only host paths and loopback listeners", () => {
    expect(version).toMatch(/^3\.4\./);
    for (const m of members) {
      const local = localFlagsByMember.get(m.name) as Map<string, string>;
      expect([...local.keys()]).toStrictEqual([...m.synthesized.keys()]);
      const changed = [...m.synthesized].filter(([k, v]) => local.get(k) !== v).map(([k]) => k);
      expect(changed.sort()).toStrictEqual(SUBSTITUTED);
      // The member's own client, peer and advertise URLs are used as synthesized.
      expect(local.get("listen-client-urls")).toContain(`,${m.clientUrl}`);
      expect(local.get("listen-peer-urls")).toBe(m.synthesized.get("listen-peer-urls"));
      expect(local.get("initial-cluster")).toBe(
        MEMBERS.map((n) => `${n}=https://${addresses[n]}:${ETCD_PEER_PORT}`).join(","),
      );
    }
  });

  it("is healthy as a cluster through the apiserver-etcd-client certificate", async () => {
    const r = ok(await ctl(["endpoint", "health", "--cluster"]), "endpoint health --cluster");
    const text = r.stdout + r.stderr;
    for (const m of members) expect(text).toContain(`${m.clientUrl} is healthy`);
    const local = ok(
      await etcdctl(
        ["endpoint", "health"],
        tls,
        members.map((m) => m.localUrl),
      ),
      "health on the loopback listeners",
    );
    expect((local.stdout + local.stderr).match(/is healthy/g)).toHaveLength(3);
    const list = ok(await ctl(["member", "list"]), "member list").stdout;
    for (const m of members)
      expect(list).toContain(`, ${m.name}, https://${addresses[m.name]}:2380, ${m.clientUrl}`);
  });

  it("refuses a client without a certificate, and one whose certificate another CA signed", async () => {
    const m1 = members[0] as Member;
    // A refused handshake makes etcdctl retry until its command timeout; 1 s keeps the test short.
    const get = ["get", "/kubeforge/", "--prefix", "--command-timeout=1s"];
    const noCert = await etcdctl(get, { cacert: tls.cacert }, [m1.clientUrl]);
    expect(noCert.code).not.toBe(0);
    const foreign = await etcdctl(
      get,
      {
        cacert: tls.cacert,
        cert: pkiLayout.nodeFile(pkiDir, "m1", paths.apiServerKubeletClientCert),
        key: pkiLayout.nodeFile(pkiDir, "m1", paths.apiServerKubeletClientKey),
      },
      [m1.clientUrl],
    );
    expect(foreign.code).not.toBe(0);
    // The server says why: these are the TLS client-authentication refusals, not some other failure.
    const log = fs.readFileSync(m1.process.logFile, "utf8");
    expect(log).toContain("client didn't provide a certificate");
    expect(log).toContain("certificate signed by unknown authority");
    // The same request with the right certificate succeeds.
    ok(await etcdctl(get, tls, [m1.clientUrl]), "get with cert");
  });

  it("keeps accepting writes after the leader is killed, and the restarted leader catches up", async () => {
    await putKeys("before", 20);
    const status = ok(await ctl(["endpoint", "status", "-w", "simple"]), "endpoint status").stdout;
    const leaderUrl = status
      .split("\n")
      .map((l) => l.split(",").map((f) => f.trim()))
      .find((f) => f[4] === "true")?.[0];
    const leader = members.find((m) => m.clientUrl === leaderUrl);
    if (!leader) throw new Error(`no leader in:\n${status}`);
    const others = members.filter((m) => m !== leader);

    await leader.process.kill("SIGKILL");
    const killedAt = Date.now();
    await waitFor(
      "a write through the surviving members",
      async () => {
        // A short command timeout keeps the probe from hiding the failover behind a 3 s wait.
        const r = await ctl(["put", "/kubeforge/failover/probe", "ok", "--command-timeout=500ms"], others);
        return r.code === 0 ? true : undefined;
      },
      { ...WAIT, diagnose: logs },
    );
    const failoverMs = Date.now() - killedAt;
    keys.set("/kubeforge/failover/probe", "ok");
    process.stdout.write(
      `etcd integration: leader ${leader.name} killed, writes accepted again after ${failoverMs} ms\n`,
    );
    expect(failoverMs).toBeLessThan(WAIT.timeoutMs);
    await putKeys("during", 20, others);

    leader.process = startMember(leader, leader.dataDir);
    await waitHealthy([leader]);
    await waitFor(
      `${leader.name} serving every key`,
      async () => {
        const served = await keysOn(leader, tls);
        return served.size === keys.size ? served : undefined;
      },
      { ...WAIT, diagnose: logs },
    );
    expect(await keysOn(leader, tls)).toStrictEqual(keys);
    await waitHealthy(members);
  });

  it("restores a snapshot into fresh members that serve every key", async () => {
    const snapshot = path.join(tmp.dir, "snapshot.db");
    ok(await etcdctl(["snapshot", "save", snapshot], tls, [members[0]?.clientUrl ?? ""]), "snapshot save");
    for (const m of members) await m.process.kill("SIGKILL");

    for (const m of members) {
      const restored = path.join(tmp.dir, "restored", m.name);
      const s = m.synthesized;
      ok(
        await etcdctl(
          [
            "snapshot",
            "restore",
            snapshot,
            `--name=${s.get("name")}`,
            `--initial-cluster=${s.get("initial-cluster")}`,
            `--initial-cluster-token=${s.get("initial-cluster-token")}`,
            `--initial-advertise-peer-urls=${s.get("initial-advertise-peer-urls")}`,
            `--data-dir=${restored}`,
          ],
          undefined,
          [],
        ),
        `snapshot restore ${m.name}`,
      );
      // With --experimental-initial-corrupt-check a member asks its peers for hashes before it serves
      // peer traffic itself; started all at once, restored members wait on each other until the 7 s
      // check timeout. One at a time, each finds the earlier ones serving (or not listening at all).
      m.process = startMember(m, restored);
      await waitFor(
        `${m.name} serving peer traffic`,
        async () => (m.process.logSinceStart().includes('"msg":"serving peer traffic"') ? true : undefined),
        { ...WAIT, diagnose: logs, abort: () => exitedMembers([m]) },
      );
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
    // The restored cluster takes writes again.
    ok(await ctl(["put", "/kubeforge/after-restore", "ok"]), "put after restore");
  });

  it("logs no warning about a deprecated flag", () => {
    for (const m of members) {
      expect(fs.readFileSync(m.process.logFile, "utf8")).not.toMatch(/deprecat/i);
    }
  });
});
