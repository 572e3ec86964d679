import { type Command, InvalidArgumentError } from "commander";
import { ClusterApp } from "../app";
import { Cluster } from "../cluster";
import { KubeforgeError } from "../errors";
import { checkPki, DEFAULT_THRESHOLD_DAYS, formatPkiCheck } from "../pki/check";
import { generatePki, type PkiReport, renewPki } from "../pki/store";
import { loadSpecFile } from "../spec/load";

/** Where the pki commands write their output. */
export interface PkiIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const CONFIG_HELP = "cluster spec (kubeforge.yaml); default: the built-in default cluster";

function loadCluster(config: string | undefined): Cluster {
  const spec = config === undefined ? undefined : loadSpecFile(config);
  return new Cluster(new ClusterApp(), "cluster", {
    spec: spec as never,
    source: config ?? "the built-in default cluster",
  });
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError("expected a whole number of days (0 or more).");
  return n;
}

function summary(verb: string, cluster: Cluster, dir: string, r: PkiReport, ms: number): string {
  const cas =
    r.authoritiesCreated.length > 0
      ? `created ${r.authoritiesCreated.join(", ")}`
      : `reused ${r.authoritiesReused.join(", ")}`;
  return (
    `${verb} PKI of cluster '${cluster.spec.name}' (${cluster.model.nodes.length} nodes, ${cluster.pki.keyAlgorithm}) in ${dir}/: ` +
    `CAs ${cas}; ${r.issued} certificates issued, ${r.kept} kept; ${r.filesWritten} files written, ${r.filesUnchanged} unchanged (${ms} ms).\n`
  );
}

/**
 * Adds `pki generate|check|renew` to the CLI. Keys are written only here, into a directory
 * outside the synth output; see lib/pki/store.ts for the layout.
 */
export function registerPkiCommands(program: Command, io: PkiIo): void {
  const pki = program
    .command("pki")
    .description("Generate, check and renew the cluster's certificates and keys (outside dist/).");

  pki
    .command("generate")
    .description(
      "Write the CAs, keys, certificates, encryption config and admin kubeconfigs, laid out per node. Reuses existing CAs and valid certificates.",
    )
    .option("-c, --config <file>", CONFIG_HELP)
    .requiredOption("-o, --out <dir>", "PKI directory (must be outside the synth output)")
    .option(
      "--force",
      "replace existing CAs and the service-account key (every certificate is re-issued)",
      false,
    )
    .action(async (opts: { config?: string; out: string; force: boolean }) => {
      const cluster = loadCluster(opts.config);
      const start = performance.now();
      const report = await generatePki(cluster, opts.out, { force: opts.force });
      io.out(summary("Generated", cluster, opts.out, report, Math.round(performance.now() - start)));
    });

  pki
    .command("check")
    .description(
      "Verify every certificate against its CA, key and plan; list subject, SANs, issuer and expiry. Fails below the threshold.",
    )
    .option("-c, --config <file>", CONFIG_HELP)
    .requiredOption("-d, --dir <dir>", "PKI directory written by 'pki generate'")
    .option(
      "--threshold-days <days>",
      "fail when a certificate has fewer days left",
      nonNegativeInt,
      DEFAULT_THRESHOLD_DAYS,
    )
    .action(async (opts: { config?: string; dir: string; thresholdDays: number }) => {
      const cluster = loadCluster(opts.config);
      const result = await checkPki(cluster, opts.dir, { thresholdDays: opts.thresholdDays });
      io.out(formatPkiCheck(result));
      if (result.code !== undefined) {
        const failing = result.checks.filter((c) => c.problems.length > 0).length;
        throw new KubeforgeError(
          result.code,
          opts.dir,
          `${failing} of ${result.checks.length} entries in '${opts.dir}' failed the check (threshold ${opts.thresholdDays} days). Run 'kubeforge pki renew' for expiring certificates, 'kubeforge pki generate' for missing or mismatched ones. [${result.code}]`,
        );
      }
      io.out(`All ${result.checks.length} certificates are valid for at least ${opts.thresholdDays} days.\n`);
    });

  pki
    .command("renew")
    .description("Re-issue every leaf certificate with the existing CAs, keeping each key.")
    .option("-c, --config <file>", CONFIG_HELP)
    .requiredOption("-d, --dir <dir>", "PKI directory written by 'pki generate'")
    .action(async (opts: { config?: string; dir: string }) => {
      const cluster = loadCluster(opts.config);
      const start = performance.now();
      const report = await renewPki(cluster, opts.dir);
      io.out(summary("Renewed", cluster, opts.dir, report, Math.round(performance.now() - start)));
    });
}
