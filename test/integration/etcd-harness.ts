import { type ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Helpers for tests that run real etcd processes: free ports, bounded waits, etcd processes that
 * log to files and are killed by PID, and etcdctl (API v3) with a per-call timeout.
 */

/** A free TCP port on a loopback address: bind port 0, read it, release it. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port"))));
    });
  });
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes a lock file holding our PID; a lock whose PID is gone is stale and taken over. */
function tryLock(file: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
      return true;
    } catch {
      const owner = Number(fs.readFileSync(file, "utf8"));
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) return false;
      fs.rmSync(file, { force: true });
    }
  }
  return false;
}

/**
 * Three loopback addresses for etcd members: 127.0.0.11-13, unless another test process on this
 * machine holds them (a lock file per address block, plus a bind check for anything else), then
 * 127.0.N.11-13 for the first free N. `release` drops the lock.
 */
export async function claimMemberAddresses(
  ports: readonly number[],
): Promise<{ addresses: [string, string, string]; release: () => void }> {
  for (let n = 0; n < 32; n++) {
    const lock = path.join(os.tmpdir(), `kubeforge-etcd-127.0.${n}.lock`);
    if (!tryLock(lock)) continue;
    const addresses: [string, string, string] = [`127.0.${n}.11`, `127.0.${n}.12`, `127.0.${n}.13`];
    const free = await Promise.all(addresses.flatMap((host) => ports.map((port) => canBind(host, port))));
    if (free.every(Boolean)) return { addresses, release: () => fs.rmSync(lock, { force: true }) };
    fs.rmSync(lock, { force: true });
  }
  throw new Error(`no free loopback addresses for etcd on ports ${ports.join(",")}`);
}

/** Polls `probe` every `intervalMs` until it returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: {
    timeoutMs: number;
    intervalMs?: number;
    diagnose?: () => string;
    /** Checked before every try: a message ends the wait at once (e.g. a process died). */
    abort?: () => string | undefined;
  },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  // Bounded in count as well as time, so a probe that returns instantly cannot spin.
  const maxTries = Math.ceil(options.timeoutMs / (options.intervalMs ?? 200)) + 1;
  for (let i = 0; i < maxTries && Date.now() <= deadline; i++) {
    const fatal = options.abort?.();
    if (fatal) throw new Error(`Gave up waiting for ${what}: ${fatal}\n${options.diagnose?.() ?? ""}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
  const detail = last instanceof Error ? ` Last error: ${last.message}` : "";
  throw new Error(
    `Timed out after ${options.timeoutMs} ms waiting for ${what}.${detail}\n${options.diagnose?.() ?? ""}`,
  );
}

/** The result of one etcdctl call. */
export interface CtlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** TLS material for etcdctl. */
export interface CtlTls {
  readonly cacert: string;
  readonly cert?: string;
  readonly key?: string;
}

/** Runs `etcdctl` (API v3) without a shell; killed after `timeoutMs`. */
export function etcdctl(
  args: readonly string[],
  tls: CtlTls | undefined,
  endpoints: readonly string[],
  timeoutMs = 10_000,
): Promise<CtlResult> {
  const flags = [
    "--dial-timeout=2s",
    "--command-timeout=3s",
    ...(endpoints.length > 0 ? [`--endpoints=${endpoints.join(",")}`] : []),
    ...(tls ? [`--cacert=${tls.cacert}`] : []),
    ...(tls?.cert ? [`--cert=${tls.cert}`] : []),
    ...(tls?.key ? [`--key=${tls.key}`] : []),
  ];
  return new Promise((resolve) => {
    execFile(
      "etcdctl",
      [...flags, ...args],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ETCDCTL_API: "3" }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** The installed etcd's version, e.g. `3.4.23`; undefined when etcd is not installed. */
export function installedEtcdVersion(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("etcd", ["--version"], { timeout: 5000 }, (error, stdout) => {
      if (error) return resolve(undefined);
      resolve(/etcd Version:\s*(\d+\.\d+\.\d+)/.exec(String(stdout))?.[1]);
    });
  });
}

/** One etcd process: logs go to a file, it is ended by PID, its exit is observed. */
export class EtcdProcess {
  private child?: ChildProcess;
  private exited?: Promise<number | null>;
  exitCode: number | null | undefined;
  /** Size of the (shared, appended) log file when this run started. */
  private logOffset = 0;

  constructor(
    readonly name: string,
    readonly args: readonly string[],
    readonly logFile: string,
  ) {}

  /** Starts etcd with exactly `args`, no shell, a clean environment (no stray ETCD_* variables). */
  start(): void {
    this.logOffset = fs.existsSync(this.logFile) ? fs.statSync(this.logFile).size : 0;
    const fd = fs.openSync(this.logFile, "a");
    try {
      const child = spawn("etcd", [...this.args], {
        stdio: ["ignore", fd, fd],
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      });
      this.exitCode = undefined;
      this.exited = new Promise((resolve) => {
        child.once("exit", (code) => {
          this.exitCode = code;
          resolve(code);
        });
        child.once("error", () => {
          this.exitCode = -1;
          resolve(-1);
        });
      });
      this.child = child;
    } finally {
      fs.closeSync(fd);
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the process has not exited. */
  get running(): boolean {
    return this.child !== undefined && this.exitCode === undefined;
  }

  /** Sends a signal to the PID and waits (bounded) for the exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL", timeoutMs = 5000): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running) return;
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, timeoutMs))]);
    if (this.running) throw new Error(`etcd ${this.name} (pid ${pid}) did not exit within ${timeoutMs} ms`);
  }

  /** What this run (since the last start) has logged. */
  logSinceStart(): string {
    if (!fs.existsSync(this.logFile)) return "";
    return fs.readFileSync(this.logFile).subarray(this.logOffset).toString("utf8");
  }

  /** The last lines of the log, for failure messages. */
  logTail(lines = 15): string {
    const text = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, "utf8") : "";
    return `--- ${this.name} (${this.logFile}) ---\n${text.trimEnd().split("\n").slice(-lines).join("\n")}`;
  }
}

/** A member as both integration tests see it: its name, its process and its client URL. */
export interface RunningMember {
  readonly name: string;
  readonly process: EtcdProcess;
  readonly clientUrl: string;
}

/** A message when a member's process has exited: a rejected flag ends here, not in a timeout. */
export function exitedMembers(list: readonly RunningMember[]): string | undefined {
  const dead = list.filter((m) => !m.process.running);
  return dead.length === 0
    ? undefined
    : dead.map((m) => `etcd ${m.name} exited with ${m.process.exitCode}`).join("; ");
}

/**
 * Every key under /kubeforge/ as one member serves it (serializable: its own copy of the data).
 * Throws, with the member's log, when the read fails.
 */
export async function keysOn(m: RunningMember, tls: CtlTls): Promise<Map<string, string>> {
  const r = await etcdctl(["get", "/kubeforge/", "--prefix", "--consistency=s"], tls, [m.clientUrl]);
  if (r.code !== 0)
    throw new Error(`get on ${m.name} failed (${r.code}): ${r.stderr || r.stdout}\n${m.process.logTail()}`);
  const lines = r.stdout.split("\n").filter((l) => l !== "");
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) out.set(lines[i] as string, lines[i + 1] as string);
  return out;
}
