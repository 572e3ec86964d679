import type { SpecIssue } from "../errors";
import { type UpgradeSide, validateUpgrade } from "../spec/validate-upgrade";
import {
  classifyFile,
  type FileImpact,
  type ImpactClass,
  readersByPath,
  staticPodReaders,
  worstImpact,
} from "./impact";
import type { ClusterState, StateNode } from "./state";

/** What happens to a node. */
export type NodeStatus = "unchanged" | "changed" | "added" | "removed" | "replaced";

/** The plan of one node. */
export interface NodePlan {
  readonly name: string;
  readonly status: NodeStatus;
  readonly impact: ImpactClass;
  /** `etcd`, `control-plane`, `worker`: from the node's files (after the change, or before for a removal). */
  readonly roles: readonly string[];
  /** Drain before, uncordon after: its kubelet or runtime version changes, or it leaves. */
  readonly drain: boolean;
  /** Static pods restarted. */
  readonly pods: readonly string[];
  /** Changed files, classified. */
  readonly files: readonly FileImpact[];
}

/** A rollout phase, in order. */
export type RolloutPhase = "etcd" | "control-plane" | "workers" | "removal" | "cluster-objects";

/** One step of the rollout: its nodes change together, and the next step waits for their health. */
export interface RolloutStep {
  readonly phase: RolloutPhase;
  readonly nodes: readonly string[];
  /** Nodes drained before the step and uncordoned after it. */
  readonly drain: readonly string[];
  readonly description: string;
}

/** Changes of cluster objects (applied through the API server), by `Kind/namespace/name`. */
export interface ObjectChanges {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

/** Everything `kubeforge plan` reports. */
export interface ClusterPlan {
  readonly from: string;
  readonly to: string;
  readonly fromVersion?: string;
  readonly toVersion?: string;
  /** The Kubernetes version changes. */
  readonly upgrade: boolean;
  readonly nodes: readonly NodePlan[];
  readonly objects: ObjectChanges;
  readonly steps: readonly RolloutStep[];
  /** Refusals (skew policy, etcd quorum): the change must not be applied while there are any. */
  readonly issues: readonly SpecIssue[];
  readonly warnings: readonly string[];
}

/** Options of {@link planChanges}. */
export interface PlanOptions {
  /** Workers changed at once. @default 1 */
  readonly maxUnavailable?: number;
}

/** A node's roles as its files show them. */
export function rolesOf(node: StateNode): string[] {
  const roles: string[] = [];
  if (node.etcd) roles.push("etcd");
  if (node.controlPlane) roles.push("control-plane");
  else roles.push("worker");
  return roles;
}

/** The version-skew and quorum view of a state. */
export function upgradeSide(state: ClusterState): UpgradeSide {
  const members = state.nodes.filter((n) => n.etcd);
  return {
    kubernetesVersion: state.kubernetesVersion,
    etcdMembers: members.map((n) => ({ name: n.name, address: n.address })),
    etcdVersion: members.find((n) => n.etcdVersion)?.etcdVersion,
  };
}

const SECRET = "(secret material, issued at apply time)";

/** Classifies every difference between two versions of one node. */
export function diffNode(before: StateNode, after: StateNode): FileImpact[] {
  const readers = readersByPath({
    ...staticPodReaders(before.files, [...before.files.map((f) => f.path), ...before.secretPaths]),
  });
  for (const [p, pods] of readersByPath(
    staticPodReaders(after.files, [...after.files.map((f) => f.path), ...after.secretPaths]),
  )) {
    readers.set(p, [...new Set([...(readers.get(p) ?? []), ...pods])].sort());
  }
  const b = new Map(before.files.map((f) => [f.path, f]));
  const a = new Map(after.files.map((f) => [f.path, f]));
  const out: FileImpact[] = [];
  for (const p of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const [x, y] = [b.get(p), a.get(p)];
    if (x && y && x.content === y.content) {
      if (x.mode !== y.mode || x.owner !== y.owner)
        out.push({
          path: p,
          rule: "mode-owner",
          impact: "no-op",
          pods: [],
          drain: false,
          reason: "mode or owner fixed in place",
        });
      continue;
    }
    out.push(classifyFile({ path: p, before: x?.content, after: y?.content, readers: readers.get(p) ?? [] }));
  }
  const [sb, sa] = [new Set(before.secretPaths), new Set(after.secretPaths)];
  for (const p of [...new Set([...sb, ...sa])].sort()) {
    if (sb.has(p) === sa.has(p)) continue;
    out.push(
      classifyFile({
        path: p,
        before: sb.has(p) ? SECRET : undefined,
        after: sa.has(p) ? SECRET : undefined,
        readers: readers.get(p) ?? [],
      }),
    );
  }
  return out;
}

function planNode(before: StateNode | undefined, after: StateNode | undefined): NodePlan {
  const node = after ?? before;
  if (!node) throw new Error("internal: a node plan needs one side");
  const base = { name: node.name, roles: rolesOf(node) };
  if (!before)
    return { ...base, status: "added", impact: "node-replacement", drain: false, pods: [], files: [] };
  if (!after)
    return { ...base, status: "removed", impact: "node-replacement", drain: true, pods: [], files: [] };
  const files = diffNode(before, after);
  const roleChange = before.etcd !== after.etcd || before.controlPlane !== after.controlPlane;
  const impact = roleChange ? "node-replacement" : worstImpact(files.map((f) => f.impact));
  const status: NodeStatus =
    impact === "node-replacement" ? "replaced" : files.length > 0 ? "changed" : "unchanged";
  return {
    ...base,
    status,
    impact,
    // Control-plane nodes are not drained: they run static pods and DaemonSets, which a drain keeps.
    drain: !after.controlPlane && (status === "replaced" || files.some((f) => f.drain)),
    pods: [...new Set(files.flatMap((f) => f.pods))].sort(),
    files,
  };
}

function diffObjects(before: ClusterState, after: ClusterState): ObjectChanges {
  const b = new Map(before.objects.map((o) => [o.id, o.sha256]));
  const a = new Map(after.objects.map((o) => [o.id, o.sha256]));
  return {
    added: [...a.keys()].filter((k) => !b.has(k)).sort(),
    changed: [...a.keys()].filter((k) => b.has(k) && b.get(k) !== a.get(k)).sort(),
    removed: [...b.keys()].filter((k) => !a.has(k)).sort(),
  };
}

/**
 * Workers per batch when none is named: a tenth of them, at least one. One at a time would take a
 * 5,000-node cluster through 5,000 sequential health gates; a tenth keeps 90% of the capacity while
 * a batch rolls, the common choice of node-pool upgrades. The stack and `kubeforge plan` share it.
 */
export function defaultMaxUnavailable(workers: number): number {
  return Math.max(1, Math.floor(workers / 10));
}

/**
 * The rollout order, as the Pulumi stack applies it: external etcd members one at a time, then
 * control-plane nodes (with their stacked etcd member) one at a time, then workers in batches of
 * `maxUnavailable`, then nodes that leave (one at a time: drain, delete the Node, remove the etcd
 * member, reset the host), then cluster objects. Only nodes that change get a step.
 */
export function rolloutSteps(
  nodes: readonly NodePlan[],
  objects: ObjectChanges,
  maxUnavailable = 1,
): RolloutStep[] {
  const moving = nodes.filter(
    (n) => n.status !== "unchanged" && n.status !== "removed" && n.impact !== "no-op",
  );
  const isCp = (n: NodePlan) => n.roles.includes("control-plane");
  const steps: RolloutStep[] = [];
  const verb = (n: NodePlan) =>
    n.status === "added" ? "join" : n.status === "replaced" ? "replace (leave, then join)" : n.impact;
  for (const n of moving.filter((x) => x.roles.includes("etcd") && !isCp(x))) {
    steps.push({
      phase: "etcd",
      nodes: [n.name],
      drain: [],
      description: `${n.name}: ${verb(n)}; then wait for etcd /health`,
    });
  }
  for (const n of moving.filter(isCp)) {
    steps.push({
      phase: "control-plane",
      nodes: [n.name],
      drain: [],
      description: `${n.name}: ${verb(n)}; then wait for API server /readyz${n.roles.includes("etcd") ? " and etcd /health" : ""}`,
    });
  }
  const workers = moving.filter((x) => !isCp(x) && !x.roles.includes("etcd"));
  const size = Math.max(1, Math.floor(maxUnavailable));
  for (let i = 0; i < workers.length; i += size) {
    const batch = workers.slice(i, i + size);
    const drain = batch.filter((n) => n.drain && n.status !== "added").map((n) => n.name);
    steps.push({
      phase: "workers",
      nodes: batch.map((n) => n.name),
      drain,
      description: `${batch.map((n) => `${n.name}: ${verb(n)}`).join(", ")}${drain.length > 0 ? `; drain ${drain.join(", ")} first, uncordon after` : ""}; then wait for Ready`,
    });
  }
  for (const n of nodes.filter((x) => x.status === "removed")) {
    steps.push({
      phase: "removal",
      nodes: [n.name],
      drain: [n.name],
      description: `${n.name}: drain, delete the Node${n.roles.includes("etcd") ? ", remove its etcd member" : ""}, then reset the host`,
    });
  }
  const count = objects.added.length + objects.changed.length + objects.removed.length;
  if (count > 0) {
    steps.push({
      phase: "cluster-objects",
      nodes: [],
      drain: [],
      description: `apply ${objects.added.length} new and ${objects.changed.length} changed object(s), delete ${objects.removed.length}, through the API server`,
    });
  }
  return steps;
}

/** Compares two states: per-node changes and impact, the rollout order, and what refuses the change. */
export function planChanges(
  before: ClusterState,
  after: ClusterState,
  options: PlanOptions = {},
): ClusterPlan {
  const b = new Map(before.nodes.map((n) => [n.name, n]));
  const a = new Map(after.nodes.map((n) => [n.name, n]));
  const names = [
    ...after.nodes.map((n) => n.name),
    ...before.nodes.map((n) => n.name).filter((n) => !a.has(n)),
  ];
  const nodes = names.map((name) => planNode(b.get(name), a.get(name)));
  const objects = diffObjects(before, after);
  const warnings: string[] = [];
  if (!before.kubernetesVersion) {
    warnings.push(
      `${before.source} does not record its Kubernetes version: the version-skew policy was not checked.`,
    );
  }
  const hadEtcd = before.nodes.some((n) => n.etcd);
  for (const n of nodes) {
    const joins = (n.status === "added" || n.status === "replaced") && a.get(n.name)?.etcd;
    if (joins && hadEtcd) {
      warnings.push(
        `${n.name} joins a running etcd cluster: register it with 'etcdctl member add' before it is delivered (kubeforge does not automate member joins yet).`,
      );
    }
  }
  return {
    from: before.source,
    to: after.source,
    fromVersion: before.kubernetesVersion,
    toVersion: after.kubernetesVersion,
    upgrade:
      !!before.kubernetesVersion &&
      !!after.kubernetesVersion &&
      before.kubernetesVersion !== after.kubernetesVersion,
    nodes,
    objects,
    steps: rolloutSteps(
      nodes,
      objects,
      options.maxUnavailable ??
        defaultMaxUnavailable(
          nodes.filter((n) => n.status !== "removed" && n.roles.length === 1 && n.roles[0] === "worker")
            .length,
        ),
    ),
    issues: validateUpgrade(upgradeSide(before), upgradeSide(after)),
    warnings,
  };
}
