import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ClusterPlan, planChanges } from "../../lib/plan/plan";
import { type ClusterState, stateFromSpec } from "../../lib/plan/state";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import { etcdQuorum } from "../../lib/spec/validate-upgrade";

/**
 * For any pair of valid specs (1, 3 or 5 control-plane nodes with stacked etcd, 0–3 workers, any
 * supported version, labels that may change), the rollout changes at most one etcd member and at
 * most one control-plane node per step, puts the control plane before the workers, and is refused
 * whenever it would remove a majority of the etcd members.
 */
const cache = new Map<string, ClusterState>();
function state(spec: ClusterSpecInput): ClusterState {
  const key = JSON.stringify(spec);
  let s = cache.get(key);
  if (!s) {
    s = stateFromSpec(spec, "spec");
    cache.set(key, s);
  }
  return s;
}

const specArb = fc
  .record({
    cps: fc.constantFrom(1, 3, 5),
    cpOffset: fc.integer({ min: 0, max: 2 }),
    workers: fc.subarray([1, 2, 3]),
    version: fc.constantFrom("1.33", "1.34", "1.35"),
    pool: fc.constantFrom("a", "b"),
  })
  .map(
    ({ cps, cpOffset, workers, version, pool }): ClusterSpecInput => ({
      name: "prop",
      kubernetesVersion: version,
      controlPlane: cps > 1 ? { endpoint: { host: "192.0.2.10", port: 6443 } } : {},
      nodes: [
        ...Array.from({ length: cps }, (_, i) => ({
          name: `cp-${i + 1 + cpOffset}`,
          roles: ["control-plane" as const, "etcd" as const],
          address: `192.0.2.${11 + i + cpOffset}`,
        })),
        ...workers.map((w) => ({
          name: `worker-${w}`,
          roles: ["worker" as const],
          address: `192.0.2.${20 + w}`,
          labels: { "example.com/pool": pool },
        })),
      ],
    }),
  );

function check(plan: ClusterPlan, before: ClusterState, after: ClusterState): void {
  const etcd = new Set([...before.nodes, ...after.nodes].filter((n) => n.etcd).map((n) => n.name));
  const cp = new Set([...before.nodes, ...after.nodes].filter((n) => n.controlPlane).map((n) => n.name));
  for (const step of plan.steps) {
    expect(step.nodes.filter((n) => etcd.has(n)).length).toBeLessThanOrEqual(1);
    expect(step.nodes.filter((n) => cp.has(n)).length).toBeLessThanOrEqual(1);
  }
  const phases = plan.steps.map((s) => s.phase);
  const lastCp = phases.lastIndexOf("control-plane");
  const firstWorker = phases.indexOf("workers");
  if (lastCp >= 0 && firstWorker >= 0) expect(lastCp).toBeLessThan(firstWorker);
  // Quorum: an accepted plan keeps a majority of the old members.
  const beforeMembers = before.nodes.filter((n) => n.etcd).map((n) => `${n.name}@${n.address}`);
  const afterMembers = new Set(after.nodes.filter((n) => n.etcd).map((n) => `${n.name}@${n.address}`));
  const kept = beforeMembers.filter((m) => afterMembers.has(m)).length;
  const refused = plan.issues.some((i) => i.code === "ETCD_QUORUM_LOSS");
  expect(refused).toBe(kept < etcdQuorum(beforeMembers.length));
}

describe("rollout order properties", () => {
  it("one etcd member and one control-plane node per step, control plane first, no quorum loss", () => {
    fc.assert(
      fc.property(specArb, specArb, (b, a) => {
        const [before, after] = [state(b), state(a)];
        check(planChanges(before, after, { maxUnavailable: 2 }), before, after);
      }),
      { numRuns: 40, seed: 8 },
    );
  });

  it("every changed node gets exactly one step and unchanged nodes none", () => {
    fc.assert(
      fc.property(specArb, specArb, fc.integer({ min: 1, max: 3 }), (b, a, max) => {
        const plan = planChanges(state(b), state(a), { maxUnavailable: max });
        const stepped = plan.steps.flatMap((s) => s.nodes);
        expect(new Set(stepped).size).toBe(stepped.length);
        for (const n of plan.nodes) {
          const moves = n.status === "removed" || (n.status !== "unchanged" && n.impact !== "no-op");
          expect(stepped.includes(n.name)).toBe(moves);
        }
        for (const s of plan.steps.filter((x) => x.phase === "workers"))
          expect(s.nodes.length).toBeLessThanOrEqual(max);
      }),
      { numRuns: 30, seed: 9 },
    );
  });
});
