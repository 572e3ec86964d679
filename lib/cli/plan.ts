import { type Command, InvalidArgumentError } from "commander";
import { KubeforgeError, SpecValidationError } from "../errors";
import { formatPlan } from "../plan/format";
import { planChanges } from "../plan/plan";
import { stateFromDist, stateFromGit, stateFromSpec } from "../plan/state";
import { loadSpecFile } from "../spec/load";

/** Where the plan command writes. */
export interface PlanIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError("must be a positive integer.");
  return n;
}

/**
 * Adds `plan`: compares the previous state (`--from DIR`, a synthesized output directory, or
 * `--from-git REF:path`, a kubeforge.yaml in git) with the current spec, and prints per node what
 * changes and its impact class, then the rollout order. Refusals (version skew, etcd quorum) are
 * printed with the plan and fail the command (exit 1).
 */
export function registerPlanCommands(program: Command, io: PlanIo): void {
  program
    .command("plan")
    .description("Show what a spec change does to each node (impact class) and the order it rolls out in.")
    .option(
      "-c, --config <file>",
      "the new cluster spec (kubeforge.yaml); default: the built-in default cluster",
    )
    .option("--from <dir>", "the previous synthesized output directory (e.g. the committed dist/)")
    .option("--from-git <ref:path>", "the previous kubeforge.yaml in git, e.g. HEAD~1:kubeforge.yaml")
    .option(
      "--max-unavailable <n>",
      "workers changed at once (default: a tenth of the workers, at least 1)",
      positiveInteger,
    )
    .option("--json", "print the plan as JSON")
    .action(
      (opts: {
        config?: string;
        from?: string;
        fromGit?: string;
        maxUnavailable?: number;
        json?: boolean;
      }) => {
        if ((opts.from === undefined) === (opts.fromGit === undefined)) {
          throw new KubeforgeError(
            "PLAN_INPUT",
            "--from",
            "'--from' / '--from-git' (missing or both) must name exactly one previous state. Pass --from dist or --from-git HEAD:kubeforge.yaml.",
          );
        }
        const before =
          opts.from !== undefined ? stateFromDist(opts.from) : stateFromGit(opts.fromGit as string);
        const after =
          opts.config === undefined
            ? stateFromSpec(undefined, "the built-in default cluster")
            : stateFromSpec(loadSpecFile(opts.config), opts.config);
        const plan = planChanges(before, after, { maxUnavailable: opts.maxUnavailable });
        io.out(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
        if (plan.issues.length > 0)
          throw new SpecValidationError(plan.issues, `the change ${plan.from} → ${plan.to}`);
      },
    );
}
