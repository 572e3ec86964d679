import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main";
import { SpecValidationError } from "../../lib/errors";
import {
  ETCD_BACKUP_KUBELET_DROP_IN,
  ETCD_BACKUP_SCRIPT,
  ETCD_BACKUP_SERVICE,
  ETCD_BACKUP_TIMER,
  etcdBackupScript,
  etcdOfflineTool,
} from "../../lib/etcd/backup";
import { ETCD_RESTORE_SCRIPT, etcdRestoreScript, restoreProcedure } from "../../lib/etcd/restore";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import type { EtcdMinor } from "../../lib/spec/versions";
import { defaultSpec, fileOf, nodeOf, render, tempDir } from "../util";

function shellcheck(text: string): string {
  const t = tempDir("kubeforge-shellcheck-");
  try {
    const file = path.join(t.dir, "script.sh");
    fs.writeFileSync(file, text);
    try {
      execFileSync("shellcheck", ["--shell=bash", file], { encoding: "utf8" });
      return "";
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? e);
    }
  } finally {
    t.cleanup();
  }
}

function codesOf(spec: ClusterSpecInput): string[] {
  try {
    render(spec);
    return [];
  } catch (e) {
    if (e instanceof SpecValidationError) return e.codes;
    throw e;
  }
}

describe("etcd backups", () => {
  const { cluster, rendered } = render(defaultSpec());

  it("puts the backup script, units and kubelet drop-in on every etcd member only, with strict modes", () => {
    const members = cluster.model.etcdMembers.map((m) => m.name);
    expect(members.length).toBe(3);
    for (const node of rendered.nodes) {
      const files = new Map(node.files.map((f) => [f.path, f.mode]));
      const expected = members.includes(node.name);
      for (const p of [ETCD_BACKUP_SCRIPT, ETCD_BACKUP_SERVICE, ETCD_BACKUP_TIMER, ETCD_RESTORE_SCRIPT]) {
        expect(files.has(p), `${node.name} ${p}`).toBe(expected);
      }
      if (!expected) continue;
      expect(files.get(ETCD_BACKUP_SCRIPT)).toBe(0o700);
      expect(files.get(ETCD_RESTORE_SCRIPT)).toBe(0o700);
      expect(files.get(ETCD_BACKUP_KUBELET_DROP_IN)).toBe(0o600);
      // The bootstrap script carries every node file: the timer is installed by it.
      expect(fileOf(rendered, node.name, "/usr/local/sbin/kubeforge-bootstrap.sh")).toContain(
        ETCD_BACKUP_TIMER,
      );
    }
    expect(fileOf(rendered, "cp-1", ETCD_BACKUP_KUBELET_DROP_IN)).toBe(
      "[Unit]\nWants=kubeforge-etcd-backup.timer\n",
    );
  });

  it("schedules with the spec's OnCalendar expression, which systemd accepts", () => {
    const spec = defaultSpec();
    spec.etcd = { backup: { schedule: "*-*-* 00/4:00:00", retention: 6, directory: "/srv/etcd-backups" } };
    const r = render(spec).rendered;
    const timer = fileOf(r, "cp-2", ETCD_BACKUP_TIMER);
    expect(timer).toContain("OnCalendar=*-*-* 00/4:00:00\n");
    const script = fileOf(r, "cp-2", ETCD_BACKUP_SCRIPT);
    expect(script).toContain("readonly RETAIN=6\n");
    expect(script).toContain("readonly BACKUP_DIR='/srv/etcd-backups'\n");
    expect(script).toContain("readonly MEMBER='cp-2'\n");
    const schedule = /OnCalendar=(.*)/.exec(timer)?.[1] ?? "";
    expect(() => execFileSync("systemd-analyze", ["calendar", schedule], { stdio: "pipe" })).not.toThrow();
    expect(() => execFileSync("systemd-analyze", ["calendar", "every tuesday"], { stdio: "pipe" })).toThrow();
  });

  it("turns scheduled backups off with etcd.backup.enabled: false, keeping the restore script", () => {
    const spec = defaultSpec();
    spec.etcd = { backup: { enabled: false } };
    const paths = nodeOf(render(spec).rendered, "cp-1").files.map((f) => f.path);
    expect(paths).not.toContain(ETCD_BACKUP_SCRIPT);
    expect(paths).not.toContain(ETCD_BACKUP_TIMER);
    expect(paths).not.toContain(ETCD_BACKUP_KUBELET_DROP_IN);
    expect(paths).toContain(ETCD_RESTORE_SCRIPT);
  });

  it("rejects a retention below 1, a relative or unnormalized directory and a multi-line schedule", () => {
    for (const backup of [
      { retention: 0 },
      { directory: "backups" },
      { directory: "/var/../etc" },
      { directory: "/var/backups/it's" },
      { schedule: "hourly\nExecStart=/bin/sh" },
    ]) {
      const spec = defaultSpec();
      spec.etcd = { backup };
      expect(codesOf(spec), JSON.stringify(backup)).toStrictEqual(["INVALID_VALUE"]);
    }
  });

  it("uses the restore and status tool of the etcd minor: etcdctl for 3.4, etcdutl from 3.5", () => {
    expect(etcdOfflineTool("3.4")).toBe("etcdctl");
    expect(etcdOfflineTool("3.5")).toBe("etcdutl");
    expect(etcdOfflineTool("3.6")).toBe("etcdutl");
    // Kubernetes 1.35 pairs with etcd 3.6, 1.33 with 3.5.
    expect(fileOf(rendered, "cp-1", ETCD_RESTORE_SCRIPT)).toContain("etcd_tool etcdutl snapshot restore");
    const old = defaultSpec();
    old.kubernetesVersion = "1.33";
    const r = render(old).rendered;
    expect(fileOf(r, "cp-1", ETCD_BACKUP_SCRIPT)).toContain("etcd_tool etcdutl snapshot status");
    expect(fileOf(r, "cp-1", ETCD_BACKUP_SCRIPT)).toContain(
      "readonly ETCD_IMAGE='registry.k8s.io/etcd:3.5.24-0'",
    );
  });

  it("generates shellcheck-clean scripts for every etcd minor", () => {
    for (const minor of ["3.4", "3.5", "3.6"] as EtcdMinor[]) {
      const base = { member: "cp-1", minor, image: "registry.k8s.io/etcd:3.6.6-0" };
      expect(
        shellcheck(etcdBackupScript({ ...base, directory: "/var/backups/etcd", retention: 3 })),
        minor,
      ).toBe("");
      const restore = etcdRestoreScript({
        ...base,
        dataDir: "/var/lib/etcd",
        initialCluster: "cp-1=https://192.0.2.11:2380",
        initialClusterToken: "x-etcd",
        initialAdvertisePeerUrls: "https://192.0.2.11:2380",
      });
      expect(shellcheck(restore), minor).toBe("");
      expect(restore).toContain(`etcd_tool ${etcdOfflineTool(minor)} snapshot restore`);
    }
    // The check itself catches a broken script.
    expect(shellcheck("#!/usr/bin/env bash\necho $undefined_var\n")).not.toBe("");
  });

  it("restores with exactly the member identity the etcd flags carry", () => {
    const script = fileOf(rendered, "cp-2", ETCD_RESTORE_SCRIPT);
    const manifest = fileOf(rendered, "cp-2", "/etc/kubernetes/manifests/etcd.yaml");
    for (const flag of [
      "initial-cluster",
      "initial-cluster-token",
      "initial-advertise-peer-urls",
      "data-dir",
    ]) {
      const value = new RegExp(`--${flag}=(\\S+)`).exec(manifest)?.[1];
      expect(value, flag).toBeDefined();
      expect(script).toContain(`='${value}'\n`);
    }
  });
});

describe("the restore procedure", () => {
  const { cluster } = render(defaultSpec());

  it("stops everything, restores every member, starts members one at a time in order, then the API servers", () => {
    const steps = restoreProcedure(cluster.model, "/tmp/snap.db");
    const members = cluster.model.etcdMembers.map((m) => m.name);
    expect(steps.map((s) => s.phase)).toStrictEqual([...steps.map((s) => s.phase)].sort());
    const starts = steps.filter((s) => s.command.endsWith(" start"));
    expect(starts.map((s) => s.node)).toStrictEqual(members);
    expect(starts.every((s) => !s.parallel)).toBe(true);
    const lastRestore = steps.findLastIndex((s) => s.command.includes(" restore "));
    const firstStart = steps.findIndex((s) => s.command.endsWith(" start"));
    expect(lastRestore).toBeLessThan(firstStart);
    expect(steps.filter((s) => s.command.includes(" restore ")).map((s) => s.node)).toStrictEqual(members);
  });

  it("stops external etcd members and API servers, but finishes only on control-plane nodes", () => {
    const spec: ClusterSpecInput = {
      name: "ext",
      controlPlane: { endpoint: { host: "192.0.2.10" } },
      etcd: { topology: "external" },
      nodes: [
        { name: "cp-1", roles: ["control-plane"], address: "192.0.2.11" },
        { name: "e-1", roles: ["etcd"], address: "192.0.2.21" },
        { name: "e-2", roles: ["etcd"], address: "192.0.2.22" },
        { name: "e-3", roles: ["etcd"], address: "192.0.2.23" },
      ],
    };
    const steps = restoreProcedure(render(spec).cluster.model, "/tmp/s.db");
    expect(steps.filter((s) => s.phase === 1).map((s) => s.node)).toStrictEqual([
      "cp-1",
      "e-1",
      "e-2",
      "e-3",
    ]);
    expect(steps.filter((s) => s.phase === 3).map((s) => s.node)).toStrictEqual(["e-1", "e-2", "e-3"]);
    expect(steps.filter((s) => s.phase === 4).map((s) => s.node)).toStrictEqual(["cp-1"]);
  });

  it("is printed by `kubeforge etcd restore-script`, as text and JSON", async () => {
    let out = "";
    const io = { out: (t: string) => (out += t), err: () => {} };
    expect(await main(["etcd", "restore-script", "--snapshot", "/tmp/snap.db"], io)).toBe(0);
    expect(out).toContain("ssh cp-3 sudo /usr/local/sbin/kubeforge-etcd-restore.sh start");
    expect(out.indexOf("cp-1 sudo /usr/local/sbin/kubeforge-etcd-restore.sh start")).toBeLessThan(
      out.indexOf("cp-2 sudo /usr/local/sbin/kubeforge-etcd-restore.sh start"),
    );
    out = "";
    expect(await main(["etcd", "restore-script", "-s", "/tmp/snap.db", "--json"], io)).toBe(0);
    expect(JSON.parse(out)).toStrictEqual(restoreProcedure(cluster.model, "/tmp/snap.db"));
    expect(await main(["etcd", "restore-script"], { out: () => {}, err: () => {} })).toBe(2);
  });
});
