import { execFileSync, spawnSync } from "node:child_process";

/**
 * Makes `npm test` work on a fresh machine: the tests run real etcd, etcdctl, openssl and
 * shellcheck. When one is missing and this is a Debian machine where we are root, the Debian
 * packages are installed (as .ci/run does); otherwise the run stops with the command to run.
 */
const TOOLS: Readonly<Record<string, string>> = {
  etcd: "etcd-server",
  etcdctl: "etcd-client",
  openssl: "openssl",
  shellcheck: "shellcheck",
};

function missing(): string[] {
  return Object.keys(TOOLS).filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
}

export default function setup(): void {
  const absent = missing();
  if (absent.length === 0) return;
  const packages = [...new Set(absent.map((t) => TOOLS[t] as string))];
  const command = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(" ")}`;
  const canInstall = process.getuid?.() === 0 && spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!canInstall) {
    throw new Error(`The tests need ${absent.join(", ")}. Install them first: sudo sh -c '${command}'`);
  }
  process.stderr.write(
    `kubeforge tests: installing ${packages.join(", ")} (missing: ${absent.join(", ")})\n`,
  );
  execFileSync("sh", ["-c", command], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  const still = missing();
  if (still.length > 0) throw new Error(`Still missing after installing: ${still.join(", ")}`);
}
