/**
 * The Pulumi program under Pulumi's mock runtime for the scaled topology, in a fresh process:
 * `pulumi-child.ts N` prints the registration time and how many resources were registered.
 * The bench runs it at two sizes: the difference per added worker is the per-worker cost.
 */
import * as pulumi from "@pulumi/pulumi";
import { createCluster } from "../stacks/provision";
import { installMocks, settle } from "../test/stacks/harness";
import { scaledSpec } from "./spec";

async function main(nodes: number): Promise<void> {
  const registrations = await installMocks();
  const startWall = performance.now();
  const startCpu = process.cpuUsage();
  const parent = new pulumi.ComponentResource("bench:index:Parent", "bench");
  const spec = scaledSpec(nodes);
  createCluster(
    "bench",
    { spec, connection: { user: "root", port: 22, privateKey: "key", hostKeys: {} } },
    parent,
  );
  await settle(registrations);
  const cpu = process.cpuUsage(startCpu);
  const workers = spec.nodes.filter((n) => n.roles.includes("worker")).length;
  process.stdout.write(
    `${JSON.stringify({
      wallSeconds: (performance.now() - startWall) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      resources: registrations.length,
      workers,
      files: 0,
      bytes: 0,
    })}\n`,
  );
}

main(Number(process.argv[2] ?? 10)).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
