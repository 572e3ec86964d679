import { type SpecIssue, SpecValidationError } from "../errors";

/**
 * Rules for a change between two versions of a running cluster, on top of validating the new spec:
 * the Kubernetes version-skew policy (https://kubernetes.io/releases/version-skew-policy/) and etcd
 * quorum. kubeforge rolls the control plane out first, then the workers, so during a rollout the
 * API servers and kubelets run either the old or the new version; every such pair must be supported.
 *
 * Decisions:
 * - the control plane moves at most one minor version per change (the policy forbids skipping minors);
 * - a minor downgrade is refused (kubelets would be newer than the API server, and objects stored by the
 *   newer version may not be readable); a downgrade between patches of one minor is allowed, to back
 *   out a bad patch release;
 * - a kubelet is never newer than the upgraded API servers and at most three minors older (a
 *   control-plane node's kubelet is upgraded with that node's static pods, as kubeadm does);
 * - etcd moves at most one minor version per change and never to an older minor;
 * - one change may remove only as many etcd members as the old membership can lose while keeping
 *   quorum, so that the members that stay always form a majority of the members that were.
 */

/** What the rules need of one side of the change. */
export interface UpgradeSide {
  /** `1.35.1`; undefined when unknown (then the version rules are skipped). */
  readonly kubernetesVersion?: string;
  /** etcd members: name and address identify a member (a new address is a new member). */
  readonly etcdMembers: readonly { readonly name: string; readonly address?: string }[];
  /** etcd image tag, e.g. `3.6.6-0`; undefined when unknown. */
  readonly etcdVersion?: string;
}

/** The newest minor a kubelet may be behind the API server (since Kubernetes 1.28). */
export const MAX_KUBELET_MINOR_SKEW = 3;

function minorOf(version: string | undefined): number | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version ?? "");
  return m ? Number(m[1]) * 1000 + Number(m[2]) : undefined;
}

const minorText = (v: string) => /^v?(\d+\.\d+)/.exec(v)?.[1] ?? v;

/** The quorum of an etcd cluster of `n` members. */
export function etcdQuorum(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Checks a kubelet version against an API server version; undefined when the pair is supported. */
export function kubeletSkewProblem(kubelet: string, apiServer: string): string | undefined {
  const [k, a] = [minorOf(kubelet), minorOf(apiServer)];
  if (k === undefined || a === undefined) return undefined;
  if (k > a) return `kubelet ${kubelet} would be newer than API server ${apiServer}`;
  if (a - k > MAX_KUBELET_MINOR_SKEW)
    return `kubelet ${kubelet} would be more than ${MAX_KUBELET_MINOR_SKEW} minor versions older than API server ${apiServer}`;
  return undefined;
}

/** Every problem of the change `before` → `after`, all at once. */
export function validateUpgrade(before: UpgradeSide, after: UpgradeSide): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const [from, to] = [before.kubernetesVersion, after.kubernetesVersion];
  const [b, a] = [minorOf(from), minorOf(to)];
  if (from && to && b !== undefined && a !== undefined) {
    if (a - b > 1) {
      issues.push({
        code: "UPGRADE_SKIPS_MINOR",
        path: "kubernetesVersion",
        value: to,
        rule: `move the control plane at most one minor version from ${from} per change`,
        fix: `Upgrade to the next minor after ${minorText(from)} first, apply it, then continue.`,
      });
    }
    if (a < b) {
      issues.push({
        code: "VERSION_DOWNGRADE",
        path: "kubernetesVersion",
        value: to,
        rule: `not be an older minor than the running ${from}`,
        fix: `Only patch releases of ${minorText(from)} can be rolled back; restore an etcd snapshot to go back further.`,
      });
    }
    // The control plane goes first, so the old kubelets meet new API servers. A control-plane node's
    // kubelet moves with its own static pods, node by node, as in kubeadm's upgrade procedure.
    const problems = new Set<string>();
    for (const [kubelet, apiServer] of [
      [from, to],
      [to, to],
    ] as const) {
      const p = kubeletSkewProblem(kubelet, apiServer);
      if (p) problems.add(p);
    }
    if (problems.size > 0) {
      issues.push({
        code: "KUBELET_SKEW",
        path: "kubernetesVersion",
        value: to,
        rule: `keep every kubelet within the supported skew during the rollout (${[...problems].join("; ")})`,
        fix: "Choose a version at most one minor newer than the running one.",
      });
    }
  }

  const [eb, ea] = [minorOf(before.etcdVersion), minorOf(after.etcdVersion)];
  if (
    before.etcdVersion &&
    after.etcdVersion &&
    eb !== undefined &&
    ea !== undefined &&
    (ea - eb > 1 || ea < eb)
  ) {
    issues.push({
      code: "ETCD_VERSION_SKEW",
      path: "etcd.version",
      value: after.etcdVersion,
      rule: `move etcd at most one minor version forward from ${before.etcdVersion}`,
      fix: "Upgrade etcd one minor at a time; going back needs etcd's downgrade procedure or a snapshot restore.",
    });
  }

  const id = (m: { name: string; address?: string }) => `${m.name}@${m.address ?? ""}`;
  const kept = new Set(after.etcdMembers.map(id));
  const removed = before.etcdMembers.filter((m) => !kept.has(id(m)));
  const n = before.etcdMembers.length;
  if (removed.length > 0 && n - removed.length < etcdQuorum(n)) {
    // The smallest odd member count (the spec requires one) that still holds a majority of the old members.
    const floor = etcdQuorum(n) % 2 === 1 ? etcdQuorum(n) : etcdQuorum(n) + 1;
    issues.push({
      code: "ETCD_QUORUM_LOSS",
      path: "nodes",
      value: removed.map((m) => m.name),
      rule: `keep a majority (${etcdQuorum(n)} of ${n}) of the current etcd members in one change, so removing ${removed.length} would lose quorum`,
      fix:
        floor < n
          ? `Go to ${floor} etcd members in this change (remove or replace at most ${n - floor}), apply it, then continue.`
          : `A ${n}-member etcd cannot lose ${removed.length} members in one change; replace one member per change, or take a snapshot and restore it into the new topology.`,
    });
  }
  return issues;
}

/** Throws every problem of the change at once, as a {@link SpecValidationError}. */
export function checkUpgrade(before: UpgradeSide, after: UpgradeSide, source?: string): void {
  const issues = validateUpgrade(before, after);
  if (issues.length > 0) throw new SpecValidationError(issues, source);
}
