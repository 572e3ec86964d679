import { AuditContext, type CheckDefinition, type CheckStatus } from "./check";
import { CONTROL_PLANE_CHECKS } from "./checks/control-plane";
import { ETCD_CHECKS } from "./checks/etcd";
import { POLICY_CHECKS } from "./checks/policies";
import { WORKER_CHECKS } from "./checks/worker";
import { optOutsFor } from "./opt-outs";
import type { AuditTree } from "./tree";

/** The benchmark these checks implement. Numbers, titles and Automated/Manual marks follow it. */
export const BENCHMARK = {
  name: "CIS Kubernetes Benchmark",
  version: "1.12.0",
} as const;

/** Every check, in benchmark order. */
export const CHECKS: readonly CheckDefinition[] = [
  ...CONTROL_PLANE_CHECKS,
  ...ETCD_CHECKS,
  ...POLICY_CHECKS.filter((c) => c.id.startsWith("3.")),
  ...WORKER_CHECKS,
  ...POLICY_CHECKS.filter((c) => c.id.startsWith("5.")),
];

/** One check's outcome. */
export interface CheckResult {
  readonly id: string;
  readonly title: string;
  /** Automated (scored) in the benchmark; only these count towards the score. */
  readonly automated: boolean;
  readonly status: CheckStatus;
  readonly reason: string;
  /** The kubeforge settings that turn this protection off, named on a FAIL. */
  readonly settings: readonly string[];
}

/** Counts of one group of checks. */
export interface Tally {
  readonly pass: number;
  readonly fail: number;
  readonly notDecidable: number;
}

/** The whole report. */
export interface AuditReport {
  readonly benchmark: string;
  readonly source: string;
  readonly results: readonly CheckResult[];
  readonly automated: Tally;
  readonly manual: Tally;
  /** Percent of decidable automated checks that pass (100 when none is decidable), rounded down to 0.1. */
  readonly score: number;
}

function tally(results: readonly CheckResult[]): Tally {
  return {
    pass: results.filter((r) => r.status === "PASS").length,
    fail: results.filter((r) => r.status === "FAIL").length,
    notDecidable: results.filter((r) => r.status === "NOT_DECIDABLE").length,
  };
}

/** Runs every check against a synthesized tree. Pure: the same tree gives the same report. */
export function runAudit(tree: AuditTree): AuditReport {
  const ctx = new AuditContext(tree);
  const results = CHECKS.map((check): CheckResult => {
    let verdict: { status: CheckStatus; reason: string };
    try {
      verdict = check.evaluate(ctx);
    } catch (e) {
      // A malformed document must not hide the other checks: this one cannot be decided.
      verdict = {
        status: "NOT_DECIDABLE",
        reason: `could not read the output: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
    return {
      id: check.id,
      title: check.title,
      automated: check.automated,
      status: verdict.status,
      reason: verdict.reason,
      settings: optOutsFor(check.id).map((o) => o.setting),
    };
  });
  const automated = tally(results.filter((r) => r.automated));
  const manual = tally(results.filter((r) => !r.automated));
  const decidable = automated.pass + automated.fail;
  const score = decidable === 0 ? 100 : Math.floor((1000 * automated.pass) / decidable) / 10;
  return {
    benchmark: `${BENCHMARK.name} v${BENCHMARK.version}`,
    source: tree.source,
    results,
    automated,
    manual,
    score,
  };
}
