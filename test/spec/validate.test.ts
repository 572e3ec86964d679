import { describe, expect, it } from "vitest";
import {
  describeValue,
  type ErrorCode,
  formatIssue,
  KubeforgeError,
  type SpecIssue,
  SpecValidationError,
} from "../../lib/errors";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import { formatPath, resolveClusterSpec, validateClusterSpec } from "../../lib/spec/validate";
import { findRelease, KUBERNETES_RELEASES, SUPPORTED_MINORS } from "../../lib/spec/versions";
import { pinnedKubernetesVersions } from "../../lib/worker/checksums";
import { defaultSpec, singleNodeSpec } from "../util";

/** Marks a field to delete in {@link edit}. */
const DELETE = Symbol("delete");

/** `nodes[2].address` → `["nodes", 2, "address"]`, the same notation the issues use. */
function pathParts(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] ?? ""),
  );
}

/** A copy of `base` with each path set to its value (creating mappings on the way) or deleted. */
function edit(base: ClusterSpecInput, edits: Record<string, unknown>): unknown {
  const doc = structuredClone(base) as Record<string | number, unknown>;
  for (const [path, value] of Object.entries(edits)) {
    const parts = pathParts(path);
    const last = parts.pop();
    if (last === undefined) throw new Error(`empty path ${path}`);
    let at: Record<string | number, unknown> = doc;
    for (const part of parts) {
      if (at[part] === undefined || at[part] === null) at[part] = {};
      at = at[part] as Record<string | number, unknown>;
    }
    if (value === DELETE) delete at[last];
    else at[last] = value;
  }
  return doc;
}

/** A spec whose node list is replaced. */
function withNodes(base: ClusterSpecInput, nodes: unknown[], edits: Record<string, unknown> = {}): unknown {
  return edit(base, { nodes, ...edits });
}

const cp = (n: number) => ({ name: `cp-${n}`, roles: ["control-plane"], address: `192.0.2.${10 + n}` });
const etcdNode = (n: number) => ({ name: `etcd-${n}`, roles: ["etcd"], address: `192.0.2.${30 + n}` });
const worker = (n: number) => ({ name: `worker-${n}`, roles: ["worker"], address: `192.0.2.${50 + n}` });
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

type Expected = readonly [code: ErrorCode, path: string, value: unknown];

interface Case {
  readonly title: string;
  readonly spec: unknown;
  /** Every issue the report must hold, and nothing else. */
  readonly expected: readonly Expected[];
  /** Path → text the issue's fix must contain (the "did you mean" target). */
  readonly fix?: Readonly<Record<string, string>>;
  /** Paths whose fix must not guess a name. */
  readonly noGuess?: readonly string[];
}

const LONG = "a".repeat(64);
/** A load balancer that accepts a DNS name as endpoint (kube-vip and keepalived need a virtual IP). */
const EXTERNAL_LB = { "controlPlane.loadBalancer.provider": "external" };

const MALFORMED: readonly Case[] = [
  // --- unknown keys, with and without a likely fix
  {
    title: "unknown key at the root (nodse → nodes)",
    spec: edit(defaultSpec(), { nodse: defaultSpec().nodes, nodes: DELETE }),
    expected: [
      ["UNKNOWN_KEY", "nodse", defaultSpec().nodes],
      ["REQUIRED", "nodes", undefined],
    ],
    fix: { nodse: "'nodes'" },
  },
  {
    title: "unknown key in upper case (NODES → nodes)",
    spec: edit(defaultSpec(), { NODES: defaultSpec().nodes, nodes: DELETE }),
    expected: [
      ["UNKNOWN_KEY", "NODES", defaultSpec().nodes],
      ["REQUIRED", "nodes", undefined],
    ],
    fix: { NODES: "'nodes'" },
  },
  {
    title: "unknown nested key (podCidr → podCIDR)",
    spec: edit(defaultSpec(), { "networking.podCidr": "10.244.0.0/16" }),
    expected: [["UNKNOWN_KEY", "networking.podCidr", "10.244.0.0/16"]],
    fix: { "networking.podCidr": "'podCIDR'" },
  },
  {
    title: "unknown key two levels down (security.auditLog.enabld)",
    spec: edit(defaultSpec(), { "security.auditLog.enabld": false }),
    expected: [["UNKNOWN_KEY", "security.auditLog.enabld", false]],
    fix: { "security.auditLog.enabld": "'enabled'" },
  },
  {
    title: "unknown key in a node, the real one then missing (adress)",
    spec: edit(defaultSpec(), { "nodes[1].adress": "192.0.2.12", "nodes[1].address": DELETE }),
    expected: [
      ["UNKNOWN_KEY", "nodes[1].adress", "192.0.2.12"],
      ["REQUIRED", "nodes[1].address", undefined],
    ],
    fix: { "nodes[1].adress": "'address'" },
  },
  {
    title: "unknown key in a taint (efect → effect)",
    spec: edit(defaultSpec(), {
      "nodes[3].taints": [{ key: "dedicated", efect: "NoSchedule", effect: "NoExecute" }],
    }),
    expected: [["UNKNOWN_KEY", "nodes[3].taints[0].efect", "NoSchedule"]],
    fix: { "nodes[3].taints[0].efect": "'effect'" },
  },
  {
    title: "unknown key with no close match lists the known fields instead",
    spec: edit(singleNodeSpec(), { banana: true }),
    expected: [["UNKNOWN_KEY", "banana", true]],
    noGuess: ["banana"],
  },
  // --- wrong types and missing fields
  {
    title: "the document is a list",
    spec: [defaultSpec()],
    expected: [["INVALID_TYPE", "", [defaultSpec()]]],
  },
  {
    title: "name is a number",
    spec: edit(defaultSpec(), { name: 42 }),
    expected: [["INVALID_TYPE", "name", 42]],
  },
  {
    title: "nodes is a string",
    spec: edit(defaultSpec(), { nodes: "cp-1" }),
    expected: [["INVALID_TYPE", "nodes", "cp-1"]],
  },
  {
    title: "a node is a string",
    spec: edit(singleNodeSpec(), { "nodes[0]": "node-1" }),
    expected: [["INVALID_TYPE", "nodes[0]", "node-1"]],
  },
  {
    title: "nodeCIDRMaskSize is a string",
    spec: edit(defaultSpec(), { "networking.nodeCIDRMaskSize": "24" }),
    expected: [["INVALID_TYPE", "networking.nodeCIDRMaskSize", "24"]],
  },
  {
    title: "nodeCIDRMaskSize is not an integer",
    spec: edit(defaultSpec(), { "networking.nodeCIDRMaskSize": 24.5 }),
    expected: [["INVALID_TYPE", "networking.nodeCIDRMaskSize", 24.5]],
  },
  {
    title: "kubernetesVersion is a number (YAML 1.30 without quotes) and the fix says to quote it",
    spec: edit(defaultSpec(), { kubernetesVersion: 1.3 }),
    expected: [["INVALID_TYPE", "kubernetesVersion", 1.3]],
    fix: { kubernetesVersion: "quotes" },
  },
  {
    title: "a key missing inside a list item (taint without effect)",
    spec: edit(defaultSpec(), { "nodes[3].taints": [{ key: "dedicated" }] }),
    expected: [["REQUIRED", "nodes[3].taints[0].effect", undefined]],
  },
  {
    title: "a non-finite number",
    spec: edit(defaultSpec(), { "pki.leafValidityDays": Number.POSITIVE_INFINITY }),
    expected: [["INVALID_TYPE", "pki.leafValidityDays", Number.POSITIVE_INFINITY]],
  },
  {
    title: "name missing",
    spec: edit(defaultSpec(), { name: DELETE }),
    expected: [["REQUIRED", "name", undefined]],
  },
  {
    title: "a node's roles missing",
    spec: edit(singleNodeSpec(), { "nodes[0].roles": DELETE }),
    expected: [["REQUIRED", "nodes[0].roles", undefined]],
  },
  {
    title: "a node with an empty role list",
    spec: edit(singleNodeSpec(), { "nodes[0].roles": [] }),
    expected: [["INVALID_VALUE", "nodes[0].roles", []]],
  },
  {
    title: "endpoint port out of range",
    spec: edit(defaultSpec(), { "controlPlane.endpoint.port": 70000 }),
    expected: [["INVALID_VALUE", "controlPlane.endpoint.port", 70000]],
  },
  // --- enum typos
  {
    title: "etcd topology typo (externl → external)",
    spec: edit(defaultSpec(), { "etcd.topology": "externl" }),
    expected: [["INVALID_VALUE", "etcd.topology", "externl"]],
    fix: { "etcd.topology": "'external'" },
  },
  {
    title: "role typo (control-plan → control-plane)",
    spec: edit(defaultSpec(), { "nodes[0].roles": ["control-plan", "etcd"] }),
    expected: [["INVALID_VALUE", "nodes[0].roles[0]", "control-plan"]],
    fix: { "nodes[0].roles[0]": "'control-plane'" },
  },
  {
    title: "taint effect typo (NoSchedul → NoSchedule)",
    spec: edit(defaultSpec(), {
      "nodes[3].taints": [{ key: "dedicated", value: "gpu", effect: "NoSchedul" }],
    }),
    expected: [["INVALID_VALUE", "nodes[3].taints[0].effect", "NoSchedul"]],
    fix: { "nodes[3].taints[0].effect": "'NoSchedule'" },
  },
  {
    title: "key algorithm typo (rsa-2049 → rsa-2048)",
    spec: edit(defaultSpec(), { "pki.keyAlgorithm": "rsa-2049" }),
    expected: [["INVALID_VALUE", "pki.keyAlgorithm", "rsa-2049"]],
    fix: { "pki.keyAlgorithm": "'rsa-2048'" },
  },
  // --- addresses and CIDRs
  {
    title: "node address out of range",
    spec: edit(defaultSpec(), { "nodes[3].address": "192.0.2.300" }),
    expected: [["INVALID_ADDRESS", "nodes[3].address", "192.0.2.300"]],
  },
  {
    title: "IPv6 node address",
    spec: edit(defaultSpec(), { "nodes[4].address": "2001:db8::4" }),
    expected: [["INVALID_ADDRESS", "nodes[4].address", "2001:db8::4"]],
  },
  {
    title: "IPv6 service CIDR",
    spec: edit(defaultSpec(), { "networking.serviceCIDR": "fd00:10:96::/108" }),
    expected: [["INVALID_CIDR", "networking.serviceCIDR", "fd00:10:96::/108"]],
  },
  {
    title: "pod CIDR without a prefix length",
    spec: edit(defaultSpec(), { "networking.podCIDR": "10.244.0.0" }),
    expected: [["INVALID_CIDR", "networking.podCIDR", "10.244.0.0"]],
  },
  {
    title: "service CIDR with host bits set suggests the network address",
    spec: edit(defaultSpec(), { "networking.serviceCIDR": "10.96.0.1/12" }),
    expected: [["INVALID_CIDR", "networking.serviceCIDR", "10.96.0.1/12"]],
    fix: { "networking.serviceCIDR": "10.96.0.0/12" },
  },
  {
    title: "pod network inside the service network",
    spec: edit(defaultSpec(), { "networking.podCIDR": "10.100.0.0/16" }),
    expected: [["CIDR_OVERLAP", "networking.serviceCIDR", "10.96.0.0/12"]],
  },
  {
    title: "node address inside the pod network",
    spec: edit(defaultSpec(), { "nodes[4].address": "10.244.3.7" }),
    expected: [["ADDRESS_IN_CLUSTER_NETWORK", "nodes[4].address", "10.244.3.7"]],
  },
  {
    title: "external address inside the service network",
    spec: edit(defaultSpec(), { "nodes[0].externalAddress": "10.96.0.20" }),
    expected: [["ADDRESS_IN_CLUSTER_NETWORK", "nodes[0].externalAddress", "10.96.0.20"]],
  },
  {
    title: "/29 service CIDR has no 10th address",
    spec: edit(defaultSpec(), { "networking.serviceCIDR": "10.96.0.0/29" }),
    expected: [["SERVICE_CIDR_TOO_SMALL", "networking.serviceCIDR", "10.96.0.0/29"]],
  },
  {
    title: "/11 service CIDR is larger than the API server allows",
    spec: edit(defaultSpec(), { "networking.serviceCIDR": "10.96.0.0/11" }),
    expected: [["SERVICE_CIDR_TOO_LARGE", "networking.serviceCIDR", "10.96.0.0/11"]],
  },
  {
    title: "/29 pod CIDR",
    spec: edit(defaultSpec(), { "networking.podCIDR": "10.244.0.0/29", "networking.nodeCIDRMaskSize": 30 }),
    expected: [["POD_CIDR_TOO_SMALL", "networking.podCIDR", "10.244.0.0/29"]],
  },
  {
    title: "node mask as short as the pod CIDR",
    spec: edit(defaultSpec(), { "networking.nodeCIDRMaskSize": 16 }),
    expected: [["NODE_MASK_INVALID", "networking.nodeCIDRMaskSize", 16]],
  },
  {
    title: "node mask /31 leaves no pod addresses",
    spec: edit(defaultSpec(), { "networking.nodeCIDRMaskSize": 31 }),
    expected: [["NODE_MASK_INVALID", "networking.nodeCIDRMaskSize", 31]],
  },
  {
    title: "node mask more than 16 bits longer than the pod CIDR",
    spec: edit(defaultSpec(), { "networking.podCIDR": "172.16.0.0/12", "networking.nodeCIDRMaskSize": 29 }),
    expected: [["NODE_MASK_INVALID", "networking.nodeCIDRMaskSize", 29]],
  },
  // --- etcd member count and roles
  {
    title: "2 stacked etcd members",
    spec: withNodes(defaultSpec(), [cp(1), cp(2), worker(1)]),
    expected: [["ETCD_MEMBER_COUNT", "nodes", 2]],
  },
  {
    title: "4 stacked etcd members",
    spec: withNodes(defaultSpec(), [...range(4).map(cp), worker(1)]),
    expected: [["ETCD_MEMBER_COUNT", "nodes", 4]],
  },
  {
    title: "9 stacked etcd members",
    spec: withNodes(defaultSpec(), range(9).map(cp)),
    expected: [["ETCD_MEMBER_COUNT", "nodes", 9]],
  },
  {
    title: "2 external etcd members",
    spec: withNodes(defaultSpec(), [...range(3).map(cp), ...range(2).map(etcdNode)], {
      "etcd.topology": "external",
    }),
    expected: [["ETCD_MEMBER_COUNT", "nodes", 2]],
  },
  {
    title: "4 external etcd members",
    spec: withNodes(defaultSpec(), [cp(1), ...range(4).map(etcdNode)], {
      "etcd.topology": "external",
      controlPlane: {},
    }),
    expected: [["ETCD_MEMBER_COUNT", "nodes", 4]],
  },
  {
    title: "9 external etcd members",
    spec: withNodes(defaultSpec(), [...range(3).map(cp), ...range(9).map(etcdNode)], {
      "etcd.topology": "external",
    }),
    expected: [["ETCD_MEMBER_COUNT", "nodes", 9]],
  },
  {
    title: "external topology without etcd nodes",
    spec: withNodes(defaultSpec(), [...range(3).map(cp), worker(1)], { "etcd.topology": "external" }),
    expected: [["ETCD_MEMBER_COUNT", "nodes", 0]],
  },
  {
    title: "etcd role on a worker in the stacked topology",
    spec: edit(defaultSpec(), { "nodes[3].roles": ["worker", "etcd"] }),
    expected: [["ROLE_CONFLICT", "nodes[3].roles", ["worker", "etcd"]]],
  },
  {
    title: "etcd and control-plane on one node in the external topology",
    spec: edit(defaultSpec(), { "etcd.topology": "external" }),
    expected: [0, 1, 2].map(
      (i) => ["ROLE_CONFLICT", `nodes[${i}].roles`, ["control-plane", "etcd"]] as const,
    ),
  },
  {
    title: "a role listed twice",
    spec: edit(defaultSpec(), { "nodes[3].roles": ["worker", "worker"] }),
    expected: [["INVALID_VALUE", "nodes[3].roles", ["worker", "worker"]]],
  },
  // --- nodes
  {
    title: "duplicate node names",
    spec: edit(defaultSpec(), { "nodes[4].name": "worker-1" }),
    expected: [["DUPLICATE_NODE_NAME", "nodes[4].name", "worker-1"]],
  },
  {
    title: "duplicate node addresses",
    spec: edit(defaultSpec(), { "nodes[5].address": "192.0.2.12" }),
    expected: [["DUPLICATE_ADDRESS", "nodes[5].address", "192.0.2.12"]],
  },
  {
    title: "an external address that is another node's address",
    spec: edit(defaultSpec(), { "nodes[3].externalAddress": "192.0.2.11" }),
    expected: [["DUPLICATE_ADDRESS", "nodes[3].externalAddress", "192.0.2.11"]],
  },
  {
    title: "an external address equal to the node's own address",
    spec: edit(defaultSpec(), { "nodes[3].externalAddress": "192.0.2.21" }),
    expected: [["DUPLICATE_ADDRESS", "nodes[3].externalAddress", "192.0.2.21"]],
  },
  {
    title: "no control-plane node",
    spec: edit(singleNodeSpec(), { "nodes[0].roles": ["worker"] }),
    expected: [["NO_CONTROL_PLANE", "nodes", ["node-1"]]],
  },
  {
    title: "an empty node list",
    spec: withNodes(singleNodeSpec(), []),
    expected: [["NO_CONTROL_PLANE", "nodes", []]],
  },
  {
    title: "invalid node name",
    spec: edit(defaultSpec(), { "nodes[3].name": "Worker_1" }),
    expected: [["INVALID_NAME", "nodes[3].name", "Worker_1"]],
  },
  // --- endpoint
  {
    title: "3 control-plane nodes without an endpoint",
    spec: edit(defaultSpec(), { "controlPlane.endpoint": DELETE }),
    expected: [["ENDPOINT_REQUIRED", "controlPlane.endpoint", undefined]],
  },
  {
    title: "endpoint equal to a node address with 3 control-plane nodes",
    spec: edit(defaultSpec(), { "controlPlane.endpoint.host": "192.0.2.12" }),
    expected: [["INVALID_ENDPOINT", "controlPlane.endpoint.host", "192.0.2.12"]],
  },
  {
    title: "endpoint host with upper-case letters",
    spec: edit(defaultSpec(), { "controlPlane.endpoint.host": "API.Example.com", ...EXTERNAL_LB }),
    expected: [["INVALID_ENDPOINT", "controlPlane.endpoint.host", "API.Example.com"]],
  },
  {
    title: "endpoint host that is a truncated address",
    spec: edit(defaultSpec(), { "controlPlane.endpoint.host": "192.0.2", ...EXTERNAL_LB }),
    expected: [["INVALID_ENDPOINT", "controlPlane.endpoint.host", "192.0.2"]],
  },
  {
    title: "endpoint inside the service network",
    spec: edit(defaultSpec(), { "controlPlane.endpoint.host": "10.96.0.1" }),
    expected: [["ADDRESS_IN_CLUSTER_NETWORK", "controlPlane.endpoint.host", "10.96.0.1"]],
  },
  // --- labels, taints, names
  {
    title: "label key starting with '-'",
    spec: edit(defaultSpec(), { "nodes[3].labels": { "-tier": "edge" } }),
    expected: [["INVALID_LABEL", 'nodes[3].labels["-tier"]', "edge"]],
  },
  {
    title: "prefixed label key with a space (path quotes the dotted key)",
    spec: edit(defaultSpec(), { "nodes[3].labels": { "example.com/my tier": "edge" } }),
    expected: [["INVALID_LABEL", 'nodes[3].labels["example.com/my tier"]', "edge"]],
  },
  {
    title: "label value longer than 63 characters",
    spec: edit(defaultSpec(), { "nodes[3].labels": { tier: LONG } }),
    expected: [["INVALID_LABEL", "nodes[3].labels.tier", LONG]],
  },
  {
    title: "taint key with two slashes",
    spec: edit(defaultSpec(), { "nodes[3].taints": [{ key: "a/b/c", effect: "NoSchedule" }] }),
    expected: [["INVALID_LABEL", "nodes[3].taints[0]", { key: "a/b/c", effect: "NoSchedule" }]],
  },
  {
    title: "cluster name with upper case and '_'",
    spec: edit(defaultSpec(), { name: "My_Cluster" }),
    expected: [["INVALID_NAME", "name", "My_Cluster"]],
    fix: { name: "my-cluster" },
  },
  {
    title: "cluster name longer than 63 characters",
    spec: edit(defaultSpec(), { name: LONG }),
    expected: [["INVALID_NAME", "name", LONG]],
  },
  {
    title: "DNS domain with upper case",
    spec: edit(defaultSpec(), { "networking.dnsDomain": "Cluster.Local" }),
    expected: [["INVALID_NAME", "networking.dnsDomain", "Cluster.Local"]],
  },
  // --- versions
  {
    title: "unsupported Kubernetes minor 1.20",
    spec: edit(defaultSpec(), { kubernetesVersion: "1.20" }),
    expected: [["UNSUPPORTED_VERSION", "kubernetesVersion", "1.20"]],
  },
  {
    title: "Kubernetes version 'banana'",
    spec: edit(defaultSpec(), { kubernetesVersion: "banana" }),
    expected: [["UNSUPPORTED_VERSION", "kubernetesVersion", "banana"]],
  },
  {
    title: "Kubernetes patch with a leading zero (no such image tag)",
    spec: edit(defaultSpec(), { kubernetesVersion: "1.35.02" }),
    expected: [["UNSUPPORTED_VERSION", "kubernetesVersion", "1.35.02"]],
  },
  {
    title: "etcd override of an unknown minor",
    spec: edit(defaultSpec(), { "etcd.version": "3.3.10" }),
    expected: [["UNSUPPORTED_ETCD_VERSION", "etcd.version", "3.3.10"]],
  },
  {
    title: "etcd override that is not a version",
    spec: edit(defaultSpec(), { "etcd.version": "latest" }),
    expected: [["UNSUPPORTED_ETCD_VERSION", "etcd.version", "latest"]],
  },
];

const MANY_PROBLEMS = edit(defaultSpec(), {
  name: "Bad_Name",
  nmae: "typo",
  kubernetesVersion: "1.20",
  "networking.serviceCIDR": "10.96.0.0/29",
  "nodes[3].address": "10.244.1.1",
  "nodes[4].address": "192.0.2.22",
  "nodes[5].address": "192.0.2.22",
  "nodes[5].name": "worker-1",
  "nodes[2].roles": ["worker"],
  "controlPlane.endpoint": DELETE,
  "etcd.version": "2.3.4",
  "pki.keyAlgorithm": "rsa-1024",
});

function summary(issues: readonly SpecIssue[]) {
  const key = (i: { code: string; path: string }) => `${i.path} ${i.code}`;
  return issues
    .map((i) => ({ code: i.code, path: i.path, value: i.value }))
    .sort((a, b) => key(a).localeCompare(key(b)));
}

describe("validateClusterSpec: malformed specs", () => {
  it("covers at least 35 malformed specs", () => {
    expect(MALFORMED.length).toBeGreaterThanOrEqual(35);
  });

  it.each(MALFORMED)("$title", ({ spec, expected, fix, noGuess }) => {
    // WHEN
    const result = validateClusterSpec(spec);

    // THEN: exactly the expected issues, each with its value and a rule
    expect(result.spec).toBeUndefined();
    expect(summary(result.issues)).toEqual(
      summary(expected.map(([code, path, value]) => ({ code, path, value, rule: "" }))),
    );
    for (const issue of result.issues) {
      expect(issue.rule.trim()).not.toBe("");
    }
    for (const [path, text] of Object.entries(fix ?? {})) {
      const issue = result.issues.find((i) => i.path === path);
      expect(issue?.fix).toContain(text);
    }
    for (const path of noGuess ?? []) {
      const issue = result.issues.find((i) => i.path === path);
      expect(issue?.fix).toBeDefined();
      expect(issue?.fix).not.toMatch(/did you mean/i);
    }
  });

  it("every error code validateClusterSpec can produce is covered by the table", () => {
    // GIVEN the codes that belong to loading, synthesis or the construct tree, not to a spec
    const notFromValidation: ErrorCode[] = ["CONFIG_NOT_FOUND", "CONFIG_PARSE", "OUTPUT_DIR", "INVALID_TREE"];
    const covered = new Set(MALFORMED.flatMap((c) => c.expected.map(([code]) => code)));
    const produced = new Set(MALFORMED.flatMap((c) => validateClusterSpec(c.spec).issues.map((i) => i.code)));

    // THEN every spec code appears, and the table's expectations are what validation produces
    const all: ErrorCode[] = [
      "UNKNOWN_KEY",
      "INVALID_TYPE",
      "REQUIRED",
      "INVALID_VALUE",
      "INVALID_NAME",
      "INVALID_ADDRESS",
      "INVALID_ENDPOINT",
      "INVALID_LABEL",
      "INVALID_CIDR",
      "CIDR_OVERLAP",
      "ADDRESS_IN_CLUSTER_NETWORK",
      "SERVICE_CIDR_TOO_SMALL",
      "SERVICE_CIDR_TOO_LARGE",
      "POD_CIDR_TOO_SMALL",
      "NODE_MASK_INVALID",
      "ETCD_MEMBER_COUNT",
      "DUPLICATE_NODE_NAME",
      "DUPLICATE_ADDRESS",
      "NO_CONTROL_PLANE",
      "ENDPOINT_REQUIRED",
      "UNSUPPORTED_VERSION",
      "UNSUPPORTED_ETCD_VERSION",
      "ROLE_CONFLICT",
    ];
    for (const code of all) expect(covered, code).toContain(code);
    expect(produced).toEqual(covered);
    for (const code of notFromValidation) expect(covered).not.toContain(code);
  });

  it("reports every problem of a spec with many problems at once", () => {
    // WHEN
    const { spec, issues } = validateClusterSpec(MANY_PROBLEMS);

    // THEN
    expect(spec).toBeUndefined();
    expect(summary(issues)).toEqual(
      summary(
        (
          [
            ["UNKNOWN_KEY", "nmae", "typo"],
            ["INVALID_VALUE", "pki.keyAlgorithm", "rsa-1024"],
            ["INVALID_NAME", "name", "Bad_Name"],
            ["UNSUPPORTED_VERSION", "kubernetesVersion", "1.20"],
            ["SERVICE_CIDR_TOO_SMALL", "networking.serviceCIDR", "10.96.0.0/29"],
            ["ADDRESS_IN_CLUSTER_NETWORK", "nodes[3].address", "10.244.1.1"],
            ["DUPLICATE_ADDRESS", "nodes[5].address", "192.0.2.22"],
            ["DUPLICATE_NODE_NAME", "nodes[5].name", "worker-1"],
            ["ETCD_MEMBER_COUNT", "nodes", 2],
            ["ENDPOINT_REQUIRED", "controlPlane.endpoint", undefined],
            ["UNSUPPORTED_ETCD_VERSION", "etcd.version", "2.3.4"],
          ] as const
        ).map(([code, path, value]) => ({ code, path, value, rule: "" })),
      ),
    );
    expect(new Set(issues.map((i) => i.code)).size).toBeGreaterThanOrEqual(6);
    expect(issues.find((i) => i.path === "nmae")?.fix).toContain("'name'");
  });
});

describe("validateClusterSpec: valid specs", () => {
  it("accepts the default spec and resolves the newest version", () => {
    // WHEN
    const { spec, issues } = validateClusterSpec(defaultSpec());

    // THEN
    const newest = KUBERNETES_RELEASES[0];
    expect(issues).toEqual([]);
    expect(spec?.release).toEqual(newest);
    expect(spec?.kubernetesVersion).toBe(newest?.defaultPatch);
    expect(spec?.etcdVersion).toBe(newest?.etcd);
    expect(spec?.etcdMinor).toBe(newest?.etcd.split(".").slice(0, 2).join("."));
    expect(spec?.networking).toMatchObject({ podCIDR: "10.244.0.0/16", serviceCIDR: "10.96.0.0/12" });
    expect(spec?.nodes).toHaveLength(6);
  });

  it("accepts a single node without an endpoint", () => {
    const { spec, issues } = validateClusterSpec(singleNodeSpec());
    expect(issues).toEqual([]);
    expect(spec?.controlPlane.endpoint).toBeUndefined();
    expect(spec?.nodes[0]?.labels).toEqual({});
  });

  it("parses 'v1.35.2' as version 1.35.2: only the missing checksum pin stops it", () => {
    // An explicit patch needs pinned kubelet/kubectl digests (lib/worker/checksums.ts); 1.35.2 has
    // none, so the one issue must be about the pin, not the version's syntax or support.
    const { issues } = validateClusterSpec(edit(singleNodeSpec(), { kubernetesVersion: "v1.35.2" }));
    expect(issues.map((i) => [i.code, i.path, i.value])).toEqual([
      ["NO_PINNED_CHECKSUM", "kubernetesVersion", "1.35.2"],
    ]);
  });

  it.each(pinnedKubernetesVersions())("accepts 'v%s' and resolves it to that patch", (version) => {
    const spec = resolveClusterSpec(edit(singleNodeSpec(), { kubernetesVersion: `v${version}` }));
    expect(spec.kubernetesVersion).toBe(version);
    expect(spec.release.minor).toBe(version.split(".").slice(0, 2).join("."));
  });

  it.each(SUPPORTED_MINORS)("resolves minor %s to the table's default patch", (minor) => {
    const spec = resolveClusterSpec(edit(singleNodeSpec(), { kubernetesVersion: minor }));
    expect(spec.kubernetesVersion).toBe(findRelease(minor)?.defaultPatch);
    expect(spec.release.minor).toBe(minor);
  });

  it("takes an etcd override of 3.4.23 as etcd minor 3.4", () => {
    const spec = resolveClusterSpec(edit(singleNodeSpec(), { "etcd.version": "3.4.23" }));
    expect(spec.etcdVersion).toBe("3.4.23");
    expect(spec.etcdMinor).toBe("3.4");
  });

  it("accepts the external etcd topology with 3 etcd nodes", () => {
    const spec = resolveClusterSpec(
      withNodes(defaultSpec(), [...range(3).map(cp), ...range(3).map(etcdNode), worker(1)], {
        "etcd.topology": "external",
      }),
    );
    expect(spec.etcd.topology).toBe("external");
    expect(spec.nodes.filter((n) => n.roles.includes("etcd")).map((n) => n.name)).toEqual([
      "etcd-1",
      "etcd-2",
      "etcd-3",
    ]);
  });

  it("accepts a DNS name as endpoint and 5 or 7 stacked members", () => {
    for (const count of [5, 7]) {
      const raw = withNodes(defaultSpec(), range(count).map(cp), {
        "controlPlane.endpoint.host": "api.k8s.internal",
        ...EXTERNAL_LB,
      });
      expect(validateClusterSpec(raw).issues).toEqual([]);
    }
  });
});

describe("SpecValidationError", () => {
  it("is thrown by resolveClusterSpec with every code and every issue in the message", () => {
    // WHEN
    let error: unknown;
    try {
      resolveClusterSpec(MANY_PROBLEMS, "kubeforge.yaml");
    } catch (e) {
      error = e;
    }

    // THEN
    expect(error).toBeInstanceOf(SpecValidationError);
    expect(error).toBeInstanceOf(KubeforgeError);
    const e = error as SpecValidationError;
    const { issues } = validateClusterSpec(MANY_PROBLEMS);
    expect(e.codes).toEqual(issues.map((i) => i.code));
    expect(e.code).toBe(issues[0]?.code);
    expect(e.path).toBe(issues[0]?.path);
    expect(e.message).toContain("kubeforge.yaml");
    expect(e.message).toContain(`${issues.length} problems`);
    for (const issue of issues) expect(e.message).toContain(formatIssue(issue));
    expect(e.message.split("\n")).toHaveLength(issues.length + 1);
  });

  it("needs at least one issue", () => {
    expect(() => new SpecValidationError([])).toThrow(Error);
  });

  it("formatIssue renders '<field>' (<value>) must <rule>. <fix> [CODE]", () => {
    const issue: SpecIssue = {
      code: "ETCD_MEMBER_COUNT",
      path: "nodes",
      value: 2,
      rule: "be an odd number",
      fix: "Use 1, 3 or 5.",
    };
    expect(formatIssue(issue)).toBe("'nodes' (2) must be an odd number. Use 1, 3 or 5. [ETCD_MEMBER_COUNT]");
    expect(formatIssue({ code: "REQUIRED", path: "", value: undefined, rule: "be set" })).toBe(
      "(spec) (missing) must be set. [REQUIRED]",
    );
  });

  it("describeValue keeps values short and on one line", () => {
    expect(describeValue("x")).toBe('"x"');
    expect(describeValue(undefined)).toBe("missing");
    expect(describeValue(["a", "b"])).toBe('["a","b"]');
    expect(describeValue("y".repeat(200))).toHaveLength(60);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(describeValue(cyclic)).toBe("[object Object]");
  });
});

describe("formatPath", () => {
  it("uses dots for fields, brackets for indexes and quotes for keys that are not plain", () => {
    expect(formatPath(["nodes", 2, "address"])).toBe("nodes[2].address");
    expect(formatPath(["nodes", 0, "labels", "node.kubernetes.io/role"])).toBe(
      'nodes[0].labels["node.kubernetes.io/role"]',
    );
    expect(formatPath([])).toBe("");
  });
});
