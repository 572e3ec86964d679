import type { AuditReport, CheckResult } from "./runner";

const LABEL: Record<CheckResult["status"], string> = {
  PASS: "PASS",
  FAIL: "FAIL",
  NOT_DECIDABLE: "N/D ",
};

/** The one-line summary CI logs show. */
export function summaryLine(report: AuditReport): string {
  const a = report.automated;
  const m = report.manual;
  return (
    `Score ${report.score.toFixed(1)}%: ${a.pass} of ${a.pass + a.fail} decidable automated checks pass ` +
    `(${a.fail} fail, ${a.notDecidable} not decidable). ` +
    `Manual checks, not scored: ${m.pass} pass, ${m.fail} fail, ${m.notDecidable} not decidable.`
  );
}

/** The human-readable report: one line per check with its reason, then the summary line. */
export function formatReport(report: AuditReport): string {
  const lines = [`${report.benchmark}: static audit of ${report.source}`, ""];
  for (const r of report.results) {
    const kind = r.automated ? "" : " (manual)";
    lines.push(`[${LABEL[r.status]}] ${r.id.padEnd(6)} ${r.title}${kind}`);
    lines.push(`         ${r.reason}`);
    if (r.status === "FAIL" && r.settings.length > 0) {
      lines.push(`         turned off by kubeforge setting ${r.settings.map((s) => `'${s}'`).join(" or ")}`);
    }
  }
  lines.push("", summaryLine(report), "");
  return lines.join("\n");
}

/** The report as JSON, for tools. */
export function reportJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
