import { spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { RenderedCluster } from "../../lib/synth";
import { BOOTSTRAP_SCRIPT } from "../../lib/worker/bootstrap";
import { CONTAINERD, downloadsFor } from "../../lib/worker/checksums";
import { CLOUD_INIT_USER_DATA } from "../../lib/worker/cloud-init";
import { fileOf, render, singleNodeSpec } from "../util";
import { PINNED_VERSION, pinnedSpec } from "./fixtures";

function shellcheck(script: string, shell = "bash"): { status: number | null; output: string } {
  const result = spawnSync("shellcheck", ["-s", shell, "-"], {
    input: script,
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const VARIANTS: Record<string, RenderedCluster> = {
  "default (kube-vip)": render(pinnedSpec()).rendered,
  "haproxy-keepalived with mirrors and nftables": render(
    pinnedSpec((s) => {
      s.controlPlane = {
        endpoint: { host: "192.0.2.10", port: 8443 },
        loadBalancer: { provider: "haproxy-keepalived" },
      };
      s.containerd = { registryMirrors: { "docker.io": ["https://mirror.example.internal"] } };
      s.networking = { kubeProxy: { mode: "nftables" } };
    }),
  ).rendered,
  "single node": render({ ...singleNodeSpec(), kubernetesVersion: "1.33.8" }).rendered,
};

/** The files a bootstrap script writes, decoded from its write_file lines. */
function writtenFiles(script: string): Map<string, { mode: string; owner: string; content: string }> {
  const out = new Map<string, { mode: string; owner: string; content: string }>();
  for (const m of script.matchAll(/^write_file '([^']+)' (\d+) '([^']+)' '([^']+)' '([A-Za-z0-9+/=]*)'$/gm)) {
    out.set(m[1] ?? "", {
      mode: m[2] ?? "",
      owner: `${m[3]}:${m[4]}`,
      content: Buffer.from(m[5] ?? "", "base64").toString("utf8"),
    });
  }
  return out;
}

describe("node bootstrap script", () => {
  for (const [variant, rendered] of Object.entries(VARIANTS)) {
    it(`passes shellcheck on every node (${variant})`, () => {
      for (const node of rendered.nodes) {
        const script = fileOf(rendered, node.name, BOOTSTRAP_SCRIPT);
        const result = shellcheck(script);
        expect(result.output, node.name).toBe("");
        expect(result.status, node.name).toBe(0);
      }
    });

    it(`carries every other file of its node with mode and owner (${variant})`, () => {
      for (const node of rendered.nodes) {
        const script = node.files.find((f) => f.path === BOOTSTRAP_SCRIPT);
        expect(script?.mode).toBe(0o700);
        const written = writtenFiles(script?.content ?? "");
        const expected = node.files.filter(
          (f) => f.path !== BOOTSTRAP_SCRIPT && f.path !== CLOUD_INIT_USER_DATA,
        );
        expect([...written.keys()].sort()).toStrictEqual(expected.map((f) => f.path).sort());
        for (const f of expected) {
          const w = written.get(f.path);
          expect(w?.content, f.path).toBe(f.content);
          expect(w?.mode, f.path).toBe(`0${f.mode.toString(8)}`);
          expect(w?.owner, f.path).toBe(f.owner);
        }
      }
    });
  }

  it("verifies every download against the pinned digest of the host's architecture", () => {
    const script = fileOf(VARIANTS["default (kube-vip)"] as RenderedCluster, "worker-1", BOOTSTRAP_SCRIPT);
    for (const d of downloadsFor(PINNED_VERSION)) {
      expect(script).toContain(`amd64) sha='${d.sha256?.amd64}'`);
      expect(script).toContain(`arm64) sha='${d.sha256?.arm64}'`);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the script names the bash variable.
      expect(script).toContain(d.url.replace("{arch}", "${ARCH}"));
    }
    expect(script).toContain("sha256sum --check --strict");
    expect(script).toContain(`containerd-${CONTAINERD.version}-linux-\${ARCH}.tar.gz`);
    expect(script.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(script).toContain("set -euo pipefail");
  });

  it("contains no secret material", () => {
    for (const rendered of Object.values(VARIANTS)) {
      for (const node of rendered.nodes) {
        const script = fileOf(rendered, node.name, BOOTSTRAP_SCRIPT);
        const decoded = [...writtenFiles(script).values()].map((f) => f.content).join("\n");
        expect(decoded).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
        for (const secret of node.secretPaths) expect(writtenFiles(script).has(secret)).toBe(false);
      }
    }
  });

  it("merges the managed hosts block idempotently, keeping the host's own lines", () => {
    const rendered = VARIANTS["default (kube-vip)"] as RenderedCluster;
    const script = fileOf(rendered, "worker-1", BOOTSTRAP_SCRIPT);
    const sedLine = script.split("\n").find((l) => l.includes("/etc/hosts >"));
    const expr = /sed '([^']+)'/.exec(sedLine ?? "")?.[1];
    expect(expr).toBeDefined();
    const block = fileOf(rendered, "worker-1", "/etc/kubeforge/hosts");
    const merge = (hosts: string) => {
      const r = spawnSync("sed", [expr ?? ""], { input: hosts, encoding: "utf8" });
      return `${r.stdout}${block}`;
    };
    const original = "127.0.0.1 localhost\n10.0.0.5 build-box\n";
    const once = merge(original);
    expect(once.startsWith(original)).toBe(true);
    expect(merge(once)).toBe(once);
  });
});

describe("cloud-init user-data", () => {
  for (const [variant, rendered] of Object.entries(VARIANTS)) {
    it(`parses as YAML with complete write_files entries (${variant})`, () => {
      for (const node of rendered.nodes) {
        const text = fileOf(rendered, node.name, CLOUD_INIT_USER_DATA);
        expect(text.startsWith("#cloud-config\n")).toBe(true);
        const doc = parse(text) as { write_files: Record<string, string>[]; runcmd: string[][] };
        const byPath = new Map(doc.write_files.map((e) => [e.path, e]));
        for (const entry of doc.write_files) {
          expect(entry.path).toMatch(/^\//);
          expect(entry.permissions).toMatch(/^0[0-7]{3}$/);
          expect(entry.owner).toMatch(/^[a-z_][a-z0-9_-]*:[a-z_][a-z0-9_-]*$/);
        }
        // Only the bootstrap script travels in user-data; it carries every other file (tested above).
        const expected = node.files.filter((f) => f.path === BOOTSTRAP_SCRIPT);
        expect([...byPath.keys()]).toStrictEqual([BOOTSTRAP_SCRIPT]);
        for (const f of expected) {
          const entry = byPath.get(f.path);
          const content =
            entry?.encoding === "gz+b64"
              ? gunzipSync(Buffer.from(entry.content ?? "", "base64")).toString("utf8")
              : entry?.content;
          expect(content, f.path).toBe(f.content);
          expect(entry?.permissions).toBe(`0${f.mode.toString(8)}`);
        }
        expect(doc.runcmd).toStrictEqual([[BOOTSTRAP_SCRIPT]]);
      }
    });
  }
});
