import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ClusterApp } from "../../lib/app";
import { Cluster } from "../../lib/cluster";
import { KubeforgeError } from "../../lib/errors";
import { HostNode, NodeFile } from "../../lib/host/node-file";
import { INDEX_FILE, layoutFiles, renderTree } from "../../lib/synth";
import { defaultSpec, render, tempDir } from "../util";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function outDir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return path.join(t.dir, "dist");
}

function readTree(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string, prefix: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), rel);
      else out.set(rel, fs.readFileSync(path.join(dir, e.name)));
    }
  };
  walk(root, "");
  return out;
}

function synth(spec: unknown, outdir: string) {
  const app = new ClusterApp({ outdir });
  new Cluster(app, "cluster", { spec: spec as never });
  app.synth();
  if (!app.lastReport) throw new Error("no report");
  return app.lastReport;
}

describe("synthesized layout", () => {
  it("writes node files at their host paths, per-node indexes and cluster objects", () => {
    const out = outDir();
    const report = synth(defaultSpec(), out);
    const tree = readTree(out);
    expect(report.files).toBe(tree.size);
    expect(tree.has(INDEX_FILE)).toBe(true);
    for (const node of ["cp-1", "cp-2", "cp-3", "worker-1", "worker-2", "worker-3"]) {
      expect(tree.has(`nodes/${node}.json`)).toBe(true);
      expect(tree.has(`nodes/${node}/etc/kubernetes/kubelet.conf`)).toBe(true);
    }
    for (const manifest of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
      expect(tree.has(`nodes/cp-2/etc/kubernetes/manifests/${manifest}.yaml`)).toBe(true);
      expect(tree.has(`nodes/worker-2/etc/kubernetes/manifests/${manifest}.yaml`)).toBe(false);
    }
    expect([...tree.keys()].some((k) => k.startsWith("cluster/"))).toBe(true);
  });

  it("records every file's mode and hash in the node index, and applies the mode on disk", () => {
    const out = outDir();
    synth(defaultSpec(), out);
    const index = JSON.parse(fs.readFileSync(path.join(out, "nodes/cp-1.json"), "utf8")) as {
      files: { path: string; mode: string; owner: string; sha256: string }[];
      secrets: { path: string; mode: string; owner: string }[];
    };
    expect(index.files.length).toBeGreaterThan(5);
    for (const f of index.files) {
      const onDisk = fs.statSync(path.join(out, "nodes/cp-1", f.path));
      expect(`0${(onDisk.mode & 0o777).toString(8)}`).toBe(f.mode);
      expect(f.owner).toBe("root:root");
      expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const mode = (p: string) => index.files.find((f) => f.path === p)?.mode;
    expect(mode("/etc/kubernetes/admin.conf")).toBe("0600");
    expect(mode("/etc/kubernetes/manifests/kube-apiserver.yaml")).toBe("0600");
    const secret = (p: string) => index.secrets.find((x) => x.path === p);
    expect(secret("/etc/kubernetes/pki/ca.key")).toStrictEqual({
      path: "/etc/kubernetes/pki/ca.key",
      mode: "0600",
      owner: "root:root",
    });
    expect(secret("/etc/kubernetes/pki/ca.crt")?.mode).toBe("0644");
    expect(secret("/var/lib/kubelet/pki/kubelet-client-current.pem")?.mode).toBe("0600");
    expect(secret("/etc/kubernetes/kubeforge/encryption-config.yaml")?.mode).toBe("0600");
  });

  it("is deterministic: the same spec gives byte-identical output", () => {
    const a = outDir();
    const b = outDir();
    synth(defaultSpec(), a);
    synth(defaultSpec(), b);
    const ta = readTree(a);
    const tb = readTree(b);
    expect([...ta.keys()].sort()).toStrictEqual([...tb.keys()].sort());
    for (const [k, v] of ta) expect(v.equals(tb.get(k) ?? Buffer.alloc(0)), k).toBe(true);
  });

  it("re-synthesizing an unchanged spec rewrites nothing", () => {
    const out = outDir();
    synth(defaultSpec(), out);
    const again = synth(defaultSpec(), out);
    expect(again.written).toBe(0);
    expect(again.removed).toBe(0);
    expect(again.unchanged).toBe(again.files);
  });

  it("changing one worker rewrites only that worker's files", () => {
    const out = outDir();
    synth(defaultSpec(), out);
    const before = readTree(out);
    const spec = defaultSpec();
    const worker = spec.nodes.find((n) => n.name === "worker-2");
    if (!worker) throw new Error("fixture");
    worker.labels = { "example.com/pool": "blue" };
    worker.taints = [{ key: "example.com/dedicated", value: "batch", effect: "NoSchedule" }];
    worker.address = "192.0.2.32";
    synth(spec, out);
    const after = readTree(out);
    const changed = [...after.keys()].filter((k) => !before.get(k)?.equals(after.get(k) ?? Buffer.alloc(0)));
    const removed = [...before.keys()].filter((k) => !after.has(k));
    expect(removed).toStrictEqual([]);
    expect(changed.length).toBeGreaterThan(0);
    // Only worker-2's own files change: no other node lists a worker's address.
    const foreign = changed.filter((k) => !k.startsWith("nodes/worker-2/") && k !== "nodes/worker-2.json");
    expect(foreign).toStrictEqual([]);
    expect(changed.filter((k) => k.startsWith("nodes/worker-2/"))).toContain(
      "nodes/worker-2/var/lib/kubelet/config.yaml",
    );
  });

  it("changing one worker's labels and taints rewrites only that worker's files", () => {
    const out = outDir();
    synth(defaultSpec(), out);
    const spec = defaultSpec();
    const worker = spec.nodes.find((n) => n.name === "worker-3");
    if (!worker) throw new Error("fixture");
    worker.labels = { "example.com/pool": "green" };
    worker.taints = [{ key: "example.com/dedicated", value: "batch", effect: "NoSchedule" }];
    const before = readTree(out);
    const report = synth(spec, out);
    const after = readTree(out);
    const changed = [...after.keys()].filter((k) => !before.get(k)?.equals(after.get(k) ?? Buffer.alloc(0)));
    expect(report.written).toBe(changed.length);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((k) => k.startsWith("nodes/worker-3/") || k === "nodes/worker-3.json")).toBe(true);
  });

  it("removes files that are no longer produced when a node leaves", () => {
    const out = outDir();
    synth(defaultSpec(), out);
    const spec = defaultSpec();
    spec.nodes = spec.nodes.filter((n) => n.name !== "worker-3");
    const report = synth(spec, out);
    expect(report.removed).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(out, "nodes/worker-3"))).toBe(false);
    expect(fs.existsSync(path.join(out, "nodes/worker-3.json"))).toBe(false);
  });

  it("an invalid spec leaves the output directory untouched", () => {
    const out = outDir();
    synth(defaultSpec(), out);
    const before = readTree(out);
    const bad = defaultSpec();
    bad.nodes = bad.nodes.filter((n) => n.name !== "cp-3"); // 2 etcd members
    expect(() => synth(bad, out)).toThrow(KubeforgeError);
    const after = readTree(out);
    expect([...after.keys()].sort()).toStrictEqual([...before.keys()].sort());
    for (const [k, v] of before) expect(v.equals(after.get(k) ?? Buffer.alloc(0))).toBe(true);
  });

  it("refuses to write into a non-empty directory that is not kubeforge output", () => {
    const out = outDir();
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, "precious.txt"), "user data");
    try {
      synth(defaultSpec(), out);
      expect.unreachable();
    } catch (e) {
      expect((e as KubeforgeError).code).toBe("OUTPUT_DIR");
    }
    expect(fs.readdirSync(out)).toStrictEqual(["precious.txt"]);
  });
});

describe("tree validation", () => {
  it("reports two constructs writing the same host path", () => {
    const app = new ClusterApp({ outdir: outDir() });
    const host = new HostNode(app, "h", { nodeName: "h" });
    NodeFile.text(host, "a", "/etc/x", "1");
    NodeFile.text(host, "b", "/etc/x", "2");
    try {
      renderTree(app);
      expect.unreachable();
    } catch (e) {
      expect((e as KubeforgeError).code).toBe("INVALID_TREE");
    }
  });

  it("refuses a node file at a secret path", () => {
    const app = new ClusterApp({ outdir: outDir() });
    const host = new HostNode(app, "h", { nodeName: "h", secretPaths: ["/etc/kubernetes/pki/ca.key"] });
    NodeFile.text(host, "a", "/etc/kubernetes/pki/ca.key", "not a key");
    expect(() => renderTree(app)).toThrow(/secret material/);
  });

  it("refuses two hosts with one name", () => {
    const app = new ClusterApp({ outdir: outDir() });
    new HostNode(app, "a", { nodeName: "same" });
    new HostNode(app, "b", { nodeName: "same" });
    expect(() => renderTree(app)).toThrow(KubeforgeError);
  });

  it("rejects relative node file paths", () => {
    const app = new ClusterApp({ outdir: outDir() });
    const host = new HostNode(app, "h", { nodeName: "h" });
    expect(() => NodeFile.text(host, "a", "etc/x", "1")).toThrow(/absolute/);
    expect(() => NodeFile.text(host, "b", "/etc/../x", "1")).toThrow(/absolute/);
  });
});

describe("no secrets in the output", () => {
  it("holds no private key, certificate or token material", () => {
    const { rendered } = render(defaultSpec());
    const files = layoutFiles(rendered);
    expect(files.size).toBeGreaterThan(20);
    for (const [name, file] of files) {
      expect(file.content, name).not.toMatch(/-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----/);
      expect(file.content, name).not.toMatch(/client-key-data|client-certificate-data|token:/);
      expect(file.content, name).not.toMatch(/secret:\s*\S{20,}/);
    }
  });
});
