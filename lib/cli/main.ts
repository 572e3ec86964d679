#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { z } from "zod";
import { ClusterApp } from "../app";
import { Cluster } from "../cluster";
import { KubeforgeError } from "../errors";
import { DEFAULT_CLUSTER_SPEC } from "../spec/defaults";
import { loadSpecFile } from "../spec/load";
import { ClusterSpecSchema } from "../spec/schema";
import { resolveClusterSpec } from "../spec/validate";
import { registerAuditCommands } from "./audit";
import { registerEtcdCommands } from "./etcd";
import { registerPkiCommands } from "./pki";
import { registerPlanCommands } from "./plan";

/** Exit codes: 0 ok, 1 invalid input or failed check, 2 usage error. */
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

function readSpec(config: string | undefined): { spec: unknown; source: string } {
  if (config === undefined) return { spec: undefined, source: "the built-in default cluster" };
  return { spec: loadSpecFile(config), source: config };
}

/** Builds the CLI. Separate from {@link main} so tests drive it in-process. */
export function buildCli(io: Io): Command {
  const program = new Command("kubeforge")
    .description("Typed, secure-by-default provisioning of self-managed Kubernetes clusters.")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command("synth")
    .description("Validate the spec and synthesize node files and cluster objects into the output directory.")
    .option("-c, --config <file>", "cluster spec (kubeforge.yaml); default: the built-in default cluster")
    .option("-o, --out <dir>", "output directory", "dist")
    .action((opts: { config?: string; out: string }) => {
      const { spec, source } = readSpec(opts.config);
      const app = new ClusterApp({ outdir: opts.out });
      const cluster = new Cluster(app, "cluster", { spec: spec as never, source });
      app.synth();
      for (const warning of cluster.warnings) io.err(`warning: ${warning}\n`);
      const r = app.lastReport;
      io.out(
        `Synthesized cluster '${cluster.spec.name}' (Kubernetes ${cluster.spec.kubernetesVersion}, ${cluster.model.nodes.length} nodes) into ${opts.out}/: ` +
          `${r?.files ?? 0} files, ${r?.written ?? 0} written, ${r?.unchanged ?? 0} unchanged, ${r?.removed ?? 0} removed.\n`,
      );
    });

  program
    .command("validate")
    .description("Validate the spec and report every problem; writes nothing.")
    .option("-c, --config <file>", "cluster spec (kubeforge.yaml); default: the built-in default cluster")
    .action((opts: { config?: string }) => {
      const { spec, source } = readSpec(opts.config);
      const resolved = resolveClusterSpec(spec ?? DEFAULT_CLUSTER_SPEC, source);
      io.out(
        `${source}: valid. Cluster '${resolved.name}', Kubernetes ${resolved.kubernetesVersion}, etcd ${resolved.etcdVersion}, ${resolved.nodes.length} nodes.\n`,
      );
    });

  program
    .command("schema")
    .description("Print the JSON Schema of kubeforge.yaml, for editor completion.")
    .action(() => {
      io.out(`${JSON.stringify(z.toJSONSchema(ClusterSpecSchema, { io: "input" }), null, 2)}\n`);
    });

  registerPkiCommands(program, io);
  registerAuditCommands(program, io);
  registerEtcdCommands(program, io);
  registerPlanCommands(program, io);

  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, for tests. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const program = buildCli(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (e instanceof KubeforgeError) {
      io.err(`error: ${e.message}\n`);
      return EXIT_INVALID;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
