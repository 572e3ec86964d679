import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ErrorCode, KubeforgeError } from "../../lib/errors";
import { loadSpecFile } from "../../lib/spec/load";
import { validateClusterSpec } from "../../lib/spec/validate";
import { tempDir } from "../util";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Writes `content` to a fresh temp file and returns its path. */
function specFile(content: string, name = "kubeforge.yaml"): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const file = path.join(t.dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** The KubeforgeError `load` throws; fails the test when it throws anything else or nothing. */
function loadError(file: string): KubeforgeError {
  try {
    loadSpecFile(file);
  } catch (e) {
    if (e instanceof KubeforgeError) return e;
    throw e;
  }
  throw new Error(`loading ${file} did not throw`);
}

const VALID = `# a one-node cluster
name: solo
kubernetesVersion: "1.35"
nodes:
  - name: node-1
    roles: [control-plane, etcd, worker]
    address: 192.0.2.50
    labels:
      node.kubernetes.io/tier: edge
networking:
  nodeCIDRMaskSize: 24
`;

describe("loadSpecFile", () => {
  it("reads a valid kubeforge.yaml into plain values that validate", () => {
    // WHEN
    const raw = loadSpecFile(specFile(VALID));

    // THEN
    expect(raw).toStrictEqual({
      name: "solo",
      kubernetesVersion: "1.35",
      nodes: [
        {
          name: "node-1",
          roles: ["control-plane", "etcd", "worker"],
          address: "192.0.2.50",
          labels: { "node.kubernetes.io/tier": "edge" },
        },
      ],
      networking: { nodeCIDRMaskSize: 24 },
    });
    expect(validateClusterSpec(raw).issues).toEqual([]);
  });

  it("throws CONFIG_NOT_FOUND with the path for a missing file", () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = path.join(t.dir, "missing.yaml");
    const error = loadError(file);
    expect(error.code).toBe<ErrorCode>("CONFIG_NOT_FOUND");
    expect(error.path).toBe(file);
  });

  it("throws CONFIG_NOT_FOUND for a directory", () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const error = loadError(t.dir);
    expect(error.code).toBe<ErrorCode>("CONFIG_NOT_FOUND");
    expect(error.path).toBe(t.dir);
  });

  it.each([
    ["bad syntax", "name: solo\nnodes: [\n  - name: a\n"],
    ["a tab-indented mapping", "name: solo\nnodes:\n\t- name: a\n"],
    ["duplicate keys", "name: solo\nname: other\nnodes: []\n"],
    ["duplicate keys in a node", "name: solo\nnodes:\n  - name: a\n    name: b\n"],
    ["a top-level list", "- name: solo\n"],
    ["a top-level scalar", "solo\n"],
    ["an empty file", ""],
    ["two documents", "name: a\nnodes: []\n---\nname: b\nnodes: []\n"],
    [
      "an alias bomb",
      [
        "a: &a [x, x, x, x, x, x, x, x, x]",
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
        "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
      ].join("\n"),
    ],
  ])("throws CONFIG_PARSE for %s", (_, content) => {
    const file = specFile(content);
    const error = loadError(file);
    expect(error.code).toBe<ErrorCode>("CONFIG_PARSE");
    expect(error.path).toBe(file);
  });

  it("names the line of a syntax error", () => {
    const error = loadError(specFile("name: solo\nnodes:\n  - name: a\n   roles: [worker\n"));
    expect(error.code).toBe<ErrorCode>("CONFIG_PARSE");
    expect(error.message).toMatch(/line \d+/);
  });
});
