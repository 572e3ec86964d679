import { MANIFESTS_DIR, paths } from "../paths";
import { BOOTSTRAP_SCRIPT } from "../worker/bootstrap";
import { CLOUD_INIT_USER_DATA } from "../worker/cloud-init";

/**
 * How disruptive a change is, from least to most. `kubeforge plan` prints it per file and per node;
 * the Pulumi stack reads the same table to decide what to restart and which workers to drain.
 */
export type ImpactClass =
  | "no-op"
  | "hot-reload"
  | "static-pod-restart"
  | "kubelet-restart"
  | "containerd-restart"
  | "reboot"
  | "node-replacement";

/** Every class, least disruptive first: the order {@link worstImpact} compares by. */
export const IMPACT_ORDER: readonly ImpactClass[] = [
  "no-op",
  "hot-reload",
  "static-pod-restart",
  "kubelet-restart",
  "containerd-restart",
  "reboot",
  "node-replacement",
];

/** The more disruptive of the classes (`no-op` for none). */
export function worstImpact(classes: Iterable<ImpactClass>): ImpactClass {
  let worst = 0;
  for (const c of classes) worst = Math.max(worst, IMPACT_ORDER.indexOf(c));
  return IMPACT_ORDER[worst] ?? "no-op";
}

/** A file as the classifier sees it: its path and bytes (absent when the file is new or gone). */
export interface FileVersion {
  readonly path: string;
  readonly content: string;
}

/** The classified change of one file. */
export interface FileImpact {
  readonly path: string;
  /** The rule that matched, e.g. `static-pod-manifest`. */
  readonly rule: string;
  readonly impact: ImpactClass;
  /** Static pods restarted by this change (manifest file names without `.yaml`). */
  readonly pods: readonly string[];
  /** The node must be drained first: its kubelet or container runtime version changes. */
  readonly drain: boolean;
  /** One line for humans. */
  readonly reason: string;
}

/** What a rule sees: the file before and after (one may be missing), and who reads it. */
export interface RuleInput {
  readonly path: string;
  readonly before?: string;
  readonly after?: string;
  /** Static pods whose manifest (or a file it names) names this path. */
  readonly readers: readonly string[];
}

type RuleResult = Omit<FileImpact, "path" | "rule">;

/** One row of the classification table: which files it covers and what their change means. */
export interface ImpactRule {
  readonly id: string;
  /** What the rule covers, for the README and `--json`. */
  readonly covers: string;
  readonly matches: (path: string) => boolean;
  readonly classify: (input: RuleInput) => RuleResult;
}

const result = (
  impact: ImpactClass,
  reason: string,
  pods: readonly string[] = [],
  drain = false,
): RuleResult => ({
  impact,
  reason,
  pods,
  drain,
});

/** `# kubelet 1.35.1` lines of the bootstrap script: the artifact versions it installs. */
export function installedArtifacts(bootstrap: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (bootstrap ?? "").matchAll(/^# (containerd|runc|cni-plugins|kubelet|kubectl) (\S+)$/gm)) {
    if (m[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

/** The value of `--flag=value` in a unit file or manifest; undefined when absent. */
export function flagValue(text: string | undefined, flag: string): string | undefined {
  const m = new RegExp(`--${flag}=(\\S+)`).exec(text ?? "");
  return m?.[1];
}

/** Non-empty, non-comment lines. */
function entries(text: string | undefined): string[] {
  return (text ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

const sysctlKeys = (text: string | undefined) => entries(text).map((l) => l.split("=")[0]?.trim() ?? "");

const podOf = (path: string) => path.slice(MANIFESTS_DIR.length + 1, -".yaml".length);

/**
 * The classification table, first match wins. Decisions worth knowing:
 * - a static pod manifest restarts that pod only (the kubelet watches the directory);
 * - a file a static pod reads without naming it in its manifest (kubeconfig, audit policy, scheduler
 *   config) restarts the pods that read it: the kubelet does not notice such a change by itself;
 * - containerd runs with `KillMode=process`, so restarting it for a configuration change keeps every
 *   container running; a new containerd or runc version, or a new kubelet version, drains the node
 *   first, as the upstream upgrade procedure does;
 * - a kernel module or sysctl that is added takes effect at once (modprobe, sysctl -p); one that is
 *   removed stays loaded or set until the host reboots, so that is a reboot;
 * - a new node IP or hostname changes the node's identity: the node is replaced.
 */
export const IMPACT_RULES: readonly ImpactRule[] = [
  {
    id: "bootstrap-script",
    covers: `${BOOTSTRAP_SCRIPT}: pinned artifact versions (the files it carries are classified on their own)`,
    matches: (p) => p === BOOTSTRAP_SCRIPT,
    classify: ({ before, after }) => {
      const [b, a] = [installedArtifacts(before), installedArtifacts(after)];
      const changed = (name: string) => before !== undefined && b[name] !== a[name];
      const what = ["kubelet", "containerd", "runc", "cni-plugins", "kubectl"]
        .filter(changed)
        .map((n) => `${n} ${b[n] ?? "none"} → ${a[n] ?? "none"}`);
      if (changed("containerd") || changed("runc"))
        return result("containerd-restart", `new container runtime: ${what.join(", ")}`, [], true);
      if (changed("kubelet")) return result("kubelet-restart", `new kubelet: ${what.join(", ")}`, [], true);
      if (changed("cni-plugins")) return result("hot-reload", `new CNI plugins: ${what.join(", ")}`);
      return result("no-op", what.length > 0 ? `new ${what.join(", ")}` : "bootstrap script re-run");
    },
  },
  {
    id: "cloud-init",
    covers: `${CLOUD_INIT_USER_DATA}: user data for cloud-created hosts, never delivered over SSH`,
    matches: (p) => p === CLOUD_INIT_USER_DATA,
    classify: () => result("no-op", "cloud-init user data (used when a host is created)"),
  },
  {
    id: "static-pod-manifest",
    covers: `${MANIFESTS_DIR}/*.yaml: the kubelet restarts the pod whose manifest changed`,
    matches: (p) => p.startsWith(`${MANIFESTS_DIR}/`) && p.endsWith(".yaml"),
    classify: ({ path, before, after }) => {
      const pod = podOf(path);
      const verb = before === undefined ? "start" : after === undefined ? "stop" : "restart";
      return result("static-pod-restart", `${verb} static pod ${pod}`, [pod]);
    },
  },
  {
    id: "kubelet-unit",
    covers:
      "kubelet.service and its drop-ins: --node-ip or --hostname-override → node replacement, else kubelet restart",
    matches: (p) => p.startsWith("/etc/systemd/system/kubelet.service"),
    classify: ({ before, after }) => {
      for (const flag of ["node-ip", "hostname-override"]) {
        const [b, a] = [flagValue(before, flag), flagValue(after, flag)];
        if (before !== undefined && after !== undefined && b !== a)
          return result(
            "node-replacement",
            `--${flag} ${b ?? "unset"} → ${a ?? "unset"}: a new node identity`,
          );
      }
      return result("kubelet-restart", "kubelet unit changed");
    },
  },
  {
    id: "kubelet-config",
    covers: `${paths.kubeletKubeconfig} and /var/lib/kubelet/*: read by the kubelet at start`,
    matches: (p) => p === paths.kubeletKubeconfig || p.startsWith("/var/lib/kubelet/"),
    classify: () => result("kubelet-restart", "kubelet configuration changed"),
  },
  {
    id: "containerd",
    covers: "/etc/containerd/* and containerd.service: containerd restart, containers keep running",
    matches: (p) => p.startsWith("/etc/containerd/") || p === "/etc/systemd/system/containerd.service",
    classify: () =>
      result("containerd-restart", "containerd configuration changed (running containers are kept)"),
  },
  {
    id: "kernel-modules",
    covers: "/etc/modules-load.d/*: an added module is loaded now; a removed one needs a reboot",
    matches: (p) => p.startsWith("/etc/modules-load.d/"),
    classify: ({ before, after }) => {
      const removed = entries(before).filter((m) => !entries(after).includes(m));
      return removed.length > 0
        ? result(
            "reboot",
            `kernel module(s) ${removed.join(", ")} no longer wanted: unloaded at the next reboot`,
          )
        : result("hot-reload", "kernel modules loaded with modprobe");
    },
  },
  {
    id: "sysctl",
    covers: "/etc/sysctl.d/*: applied with sysctl -p; a removed key keeps its value until a reboot",
    matches: (p) => p.startsWith("/etc/sysctl.d/"),
    classify: ({ before, after }) => {
      const removed = sysctlKeys(before).filter((k) => !sysctlKeys(after).includes(k));
      return removed.length > 0
        ? result(
            "reboot",
            `sysctl(s) ${removed.join(", ")} removed: the kernel default returns at the next reboot`,
          )
        : result("hot-reload", "sysctls applied with sysctl -p");
    },
  },
  {
    id: "hosts",
    covers: "/etc/kubeforge/hosts: merged into /etc/hosts",
    matches: (p) => p === "/etc/kubeforge/hosts",
    classify: () => result("hot-reload", "host entries merged into /etc/hosts"),
  },
  {
    id: "read-by-static-pod",
    covers:
      "any other file a static pod reads (kubeconfig, policy, component config, credential): restart its readers",
    matches: () => true,
    classify: ({ readers }) =>
      readers.length > 0
        ? result("static-pod-restart", `read by ${readers.join(", ")}`, readers)
        : result("no-op", "not read by a running component (tools, scripts)"),
  },
];

/** The rule a host path falls under. */
export function ruleFor(path: string): ImpactRule {
  const rule = IMPACT_RULES.find((r) => r.matches(path));
  if (!rule) throw new Error(`internal: no impact rule for ${path}`);
  return rule;
}

/** Classifies the change of one file. */
export function classifyFile(input: RuleInput): FileImpact {
  const rule = ruleFor(input.path);
  return { path: input.path, rule: rule.id, ...rule.classify(input) };
}

/**
 * Which static pods read which paths: the manifest names the path (a flag, a mount), or names a file
 * that names it (a kubeconfig naming a client certificate). `paths` are the candidates: node files
 * and secret paths. Used by the plan and by the stack's delivery script, so both restart the same pods.
 */
export function staticPodReaders(
  files: readonly FileVersion[],
  candidates: readonly string[],
): Record<string, string[]> {
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  const out: Record<string, string[]> = {};
  for (const f of files) {
    if (ruleFor(f.path).id !== "static-pod-manifest") continue;
    const read = [f.content];
    for (const [p, content] of byPath) if (p !== f.path && f.content.includes(p)) read.push(content);
    const deps = candidates.filter((c) => c !== f.path && read.some((text) => text.includes(c)));
    if (deps.length > 0) out[podOf(f.path)] = deps;
  }
  return out;
}

/** Inverts {@link staticPodReaders}: path → the pods that read it, sorted. */
export function readersByPath(readers: Readonly<Record<string, readonly string[]>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [pod, deps] of Object.entries(readers)) {
    for (const d of deps) out.set(d, [...(out.get(d) ?? []), pod].sort());
  }
  return out;
}

/** Secret paths whose change needs a kubelet restart: its own credentials and the CA it trusts. */
export function kubeletSecretPaths(secretPaths: readonly string[]): string[] {
  return secretPaths.filter((p) => ruleFor(p).id === "kubelet-config" || p === paths.caCert);
}

/** The artifacts whose new version drains a worker first (see the `bootstrap-script` rule). */
export const DRAIN_ARTIFACTS: readonly string[] = ["kubelet", "containerd", "runc"];

/**
 * The versions that decide whether a node is drained, e.g. `containerd=2.2.1 kubelet=1.35.1 runc=1.3.4`:
 * the stack re-runs a worker's drain exactly when this changes, as the plan's `drain` flag says.
 */
export function drainKey(bootstrap: string | undefined): string {
  const installed = installedArtifacts(bootstrap);
  return [...DRAIN_ARTIFACTS]
    .sort()
    .map((a) => `${a}=${installed[a] ?? "none"}`)
    .join(" ");
}
