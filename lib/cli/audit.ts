import { type Command, InvalidArgumentError } from "commander";
import { formatReport, reportJson, summaryLine } from "../audit/report";
import { runAudit } from "../audit/runner";
import { loadTree } from "../audit/tree";
import { KubeforgeError } from "../errors";

/** Where the audit command writes its output. */
export interface AuditIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

function percent(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new InvalidArgumentError("must be a number from 0 to 100.");
  }
  return n;
}

/**
 * Adds `audit [DIR]`: a static CIS Kubernetes Benchmark report on synthesized output. With
 * `--min-score`, a score below the bar fails the command (exit 1) after the report is printed.
 */
export function registerAuditCommands(program: Command, io: AuditIo): void {
  program
    .command("audit")
    .description(
      "Check synthesized output against the CIS Kubernetes Benchmark: PASS, FAIL or not decidable per check, with the reason.",
    )
    .argument("[dir]", "synthesized output directory", "dist")
    .option("--json", "print the report as JSON", false)
    .option(
      "--min-score <percent>",
      "fail when fewer than this percent of decidable automated checks pass",
      percent,
    )
    .action((dir: string, opts: { json: boolean; minScore?: number }) => {
      const report = runAudit(loadTree(dir));
      io.out(opts.json ? reportJson(report) : formatReport(report));
      if (opts.minScore !== undefined && report.score < opts.minScore) {
        throw new KubeforgeError(
          "AUDIT_SCORE_TOO_LOW",
          dir,
          `${summaryLine(report)} That is below --min-score ${opts.minScore}. Fix the failing checks above or turn the named settings back on.`,
        );
      }
    });
}
