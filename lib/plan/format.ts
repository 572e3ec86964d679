import { formatIssue } from "../errors";
import type { ClusterPlan } from "./plan";

/** Human-readable text of a plan: per node what changes and its impact, then the rollout order. */
export function formatPlan(plan: ClusterPlan): string {
  const out: string[] = [`Plan: ${plan.from} → ${plan.to}`];
  if (plan.upgrade) {
    out.push(
      `Kubernetes ${plan.fromVersion} → ${plan.toVersion}: upgrade (control plane first, then workers).`,
    );
  } else if (plan.toVersion) {
    out.push(`Kubernetes ${plan.toVersion}.`);
  }
  out.push("", "Nodes:");
  const width = Math.max(...plan.nodes.map((n) => n.name.length), 4);
  for (const n of plan.nodes) {
    const extras = [
      n.roles.join("+"),
      n.drain ? "drain" : "",
      n.pods.length > 0 ? `pods: ${n.pods.join(", ")}` : "",
    ]
      .filter((x) => x !== "")
      .join("; ");
    out.push(`  ${n.name.padEnd(width)}  ${n.status.padEnd(9)}  ${n.impact.padEnd(18)}  (${extras})`);
    for (const f of n.files) out.push(`      ${f.impact.padEnd(18)}  ${f.path}: ${f.reason}`);
  }
  const o = plan.objects;
  out.push(
    "",
    `Cluster objects: ${o.added.length} added, ${o.changed.length} changed, ${o.removed.length} removed (applied through the API server).`,
  );
  for (const [label, ids] of [
    ["+", o.added],
    ["~", o.changed],
    ["-", o.removed],
  ] as const) {
    for (const id of ids) out.push(`  ${label} ${id}`);
  }
  out.push("", "Rollout order:");
  if (plan.steps.length === 0) out.push("  nothing to do.");
  plan.steps.forEach((s, i) => {
    out.push(`  ${i + 1}. [${s.phase}] ${s.description}`);
  });
  if (plan.warnings.length > 0) {
    out.push("", "Warnings:");
    for (const w of plan.warnings) out.push(`  - ${w}`);
  }
  if (plan.issues.length > 0) {
    out.push("", `Refused: ${plan.issues.length} problem(s):`);
    for (const i of plan.issues) out.push(`  - ${formatIssue(i)}`);
  }
  return `${out.join("\n")}\n`;
}
