import type { Command } from "commander";
import { ClusterApp } from "../app";
import { Cluster } from "../cluster";
import { formatRestoreProcedure, restoreProcedure } from "../etcd/restore";
import { loadSpecFile } from "../spec/load";

/** Where the etcd commands write their output. */
export interface EtcdIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * Adds `etcd restore-script`: prints the cluster-wide order in which the generated per-member
 * restore scripts run (members started one at a time), as a runbook or as JSON for automation.
 */
export function registerEtcdCommands(program: Command, io: EtcdIo): void {
  const etcd = program.command("etcd").description("etcd day-2 operations.");
  etcd
    .command("restore-script")
    .description(
      "Print the restore procedure: which generated script phase runs on which node, in which order.",
    )
    .option("-c, --config <file>", "cluster spec (kubeforge.yaml); default: the built-in default cluster")
    .requiredOption("-s, --snapshot <path>", "the snapshot file, at the same path on every member")
    .option("--json", "print the steps as JSON", false)
    .action((opts: { config?: string; snapshot: string; json: boolean }) => {
      const spec = opts.config === undefined ? undefined : loadSpecFile(opts.config);
      const cluster = new Cluster(new ClusterApp(), "cluster", {
        spec: spec as never,
        source: opts.config ?? "the built-in default cluster",
      });
      io.out(
        opts.json
          ? `${JSON.stringify(restoreProcedure(cluster.model, opts.snapshot), null, 2)}\n`
          : formatRestoreProcedure(cluster.model, opts.snapshot),
      );
    });
}
