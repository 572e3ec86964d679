// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, whose ${…} expansions are intended.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { toYaml } from "../lib/host/node-file";
import { MANIFESTS_DIR, paths } from "../lib/paths";
import type { NodePkiPlan, PkiPlan } from "../lib/pki/plan";
import { kubeletSecretPaths, staticPodReaders } from "../lib/plan/impact";
import { generationRecord } from "../lib/plan/node-ops";
import { formatMode, shellQuote } from "../lib/private/format";
import { encryptionConfiguration } from "../lib/security/encryption-config";
import type { RenderedFile, RenderedNode } from "../lib/synth";
import { BOOTSTRAP_SCRIPT } from "../lib/worker/bootstrap";
import { CLOUD_INIT_USER_DATA, cloudInitUserData } from "../lib/worker/cloud-init";
import { type IssuedPki, leafKey } from "./pki";

/**
 * What goes onto one host and how: the node's synthesized files plus its secret material, as an
 * SSH stdin payload (never a local file) or as cloud-init user-data, and the shell script that
 * writes them, runs the bootstrap and restarts only what changed.
 */

/** A file delivered to a host. `content` may hold secret material. */
export interface DeliveredFile {
  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  readonly content: string;
}

/** Name of the encryption-at-rest key inside the EncryptionConfiguration. */
export const ENCRYPTION_KEY_NAME = "kubeforge-1";

const CERT_MODE = 0o644;
const KEY_MODE = 0o600;

/** Where a secret path's bytes come from and which mode it gets. */
interface SecretSource {
  readonly mode: number;
  readonly content: pulumi.Output<string>;
}

/**
 * Every secret path a node lists, resolved to issued material: CA certificates and keys, the
 * service-account pair, the node's leaf certificates (the kubelet client credential as one combined
 * PEM) and the EncryptionConfiguration. A listed path with no source is a bug between lib/pki and
 * the stack, so it throws rather than deliver a node without a credential it needs.
 */
export function secretFiles(
  node: RenderedNode,
  plan: PkiPlan,
  nodePlan: NodePkiPlan,
  pki: IssuedPki,
  encryption: { readonly provider: "secretbox" | "aescbc" },
): pulumi.Output<DeliveredFile[]> {
  const sources = new Map<string, SecretSource>();
  for (const ca of plan.authorities) {
    const issued = pki.authorities.get(ca.id);
    if (!issued) continue;
    sources.set(ca.certPath, { mode: CERT_MODE, content: issued.certPem });
    sources.set(ca.keyPath, { mode: KEY_MODE, content: issued.keyPem });
  }
  sources.set(plan.serviceAccount.keyPath, { mode: KEY_MODE, content: pki.serviceAccount.privateKeyPem });
  sources.set(plan.serviceAccount.publicKeyPath, {
    mode: CERT_MODE,
    content: pki.serviceAccount.publicKeyPem,
  });
  for (const cert of nodePlan.certificates) {
    const issued = pki.leaves.get(leafKey(nodePlan.node, cert.id));
    if (!issued) continue;
    if (cert.certPath === cert.keyPath) {
      sources.set(cert.certPath, {
        mode: KEY_MODE,
        content: pulumi.secret(pulumi.interpolate`${issued.certPem}${issued.keyPem}`),
      });
    } else {
      sources.set(cert.certPath, { mode: CERT_MODE, content: issued.certPem });
      sources.set(cert.keyPath, { mode: KEY_MODE, content: issued.keyPem });
    }
  }
  sources.set(paths.encryptionConfig, {
    mode: KEY_MODE,
    content: pulumi.secret(
      pki.encryptionKeyBase64.apply((secretBase64) =>
        toYaml(encryptionConfiguration(encryption.provider, { name: ENCRYPTION_KEY_NAME, secretBase64 })),
      ),
    ),
  });

  const files = node.secretPaths.map((p) => {
    const source = sources.get(p);
    if (!source)
      throw new Error(`internal: node '${node.name}' needs secret ${p}, which the stack does not issue`);
    return source.content.apply(
      (content): DeliveredFile => ({ path: p, mode: source.mode, owner: "root:root", content }),
    );
  });
  return pulumi.secret(pulumi.all(files));
}

/** The node files the stack sends: the cloud-init copy stays in dist/ (it is for clouds, not hosts). */
export function hostFiles(node: RenderedNode): RenderedFile[] {
  return node.files.filter((f) => f.path !== CLOUD_INIT_USER_DATA);
}

/**
 * The content hash of a node: every file's path, mode, owner and sha256, plus the list of secret
 * paths. It changes exactly when the node's synthesized output changes, so it is the node's trigger.
 */
export function nodeContentHash(node: RenderedNode): string {
  const h = createHash("sha256");
  for (const f of node.files) h.update(`${f.path}\0${f.mode}\0${f.owner}\0${f.sha256}\n`);
  for (const p of node.secretPaths) h.update(`secret\0${p}\n`);
  return h.digest("hex");
}

/** Marks the end of a payload, so a truncated stdin is refused before anything is written. */
export const PAYLOAD_END = "#kubeforge-end";

/**
 * The stdin payload: one line per file, `<path> <mode> <owner> <base64 content>`, then the end
 * marker. Paths and owners come from lib (absolute, no whitespace), so the format needs no escaping.
 */
export function payload(files: readonly DeliveredFile[]): string {
  const lines = files.map((f) => {
    if (/\s/.test(f.path) || /\s/.test(f.owner))
      throw new Error(`internal: whitespace in ${f.path} ${f.owner}`);
    return `${f.path} ${formatMode(f.mode)} ${f.owner} ${Buffer.from(f.content, "utf8").toString("base64")}`;
  });
  return `${[...lines, PAYLOAD_END].join("\n")}\n`;
}

/** A health check the delivery script (or a gate) waits for, with bounded retries. */
export interface HealthCheck {
  readonly description: string;
  /** A shell command that succeeds once healthy. */
  readonly command: string;
}

/** What the delivery script of one node does besides writing files. */
export interface DeliveryPlan {
  readonly node: string;
  /** Static pods (manifest file names without .yaml) to restart when a file they read changed (secret or not). */
  readonly podSecrets: Readonly<Record<string, readonly string[]>>;
  /** Secret paths whose change restarts the kubelet. */
  readonly kubeletSecrets: readonly string[];
  /** Local port each static pod listens on, to know it stopped before its manifest returns. */
  readonly podPorts: Readonly<Record<string, number>>;
  /** Whether the bootstrap script is among the node's files. */
  readonly bootstrap: boolean;
  /** Checks run after an update (and after a create, unless `gateOnCreate` is false). */
  readonly checks: readonly HealthCheck[];
  /** False for etcd members: a lone new member cannot be healthy until its peers exist. */
  readonly gateOnCreate: boolean;
  readonly healthTimeoutSeconds: number;
  /**
   * The generation the script records on the host once it succeeded (the node's content hash), so
   * the delivery's `delete` resets the host only while it is the last delivery (lib/plan/node-ops
   * `generationRecord`). Absent: nothing is recorded.
   */
  readonly generation?: string;
}

/**
 * Which static pods read which secret paths, directly (flags, mounts) or through a file they read
 * (a kubeconfig naming a client certificate). A secret that changes restarts exactly those pods:
 * the kubelet restarts a static pod when its manifest changes, but not when a file it reads does.
 * The lookup is lib/plan's, so `kubeforge plan` predicts exactly these restarts.
 */
export function podSecretDependencies(node: RenderedNode): Record<string, string[]> {
  return staticPodReaders(node.files, node.secretPaths);
}

/**
 * Like {@link podSecretDependencies}, but for every file a static pod reads: secrets and node files
 * (audit policy, scheduler configuration, kubeconfigs), as the plan's `read-by-static-pod` rule says.
 */
export function podDependencies(node: RenderedNode): Record<string, string[]> {
  const files = node.files.map((f) => f.path).filter((p) => !p.startsWith(`${MANIFESTS_DIR}/`));
  return staticPodReaders(node.files, [...node.secretPaths, ...files]);
}

/** Secret paths whose change needs a kubelet restart: its own credentials and the CA it trusts. */
export function kubeletSecretDependencies(node: RenderedNode): string[] {
  return kubeletSecretPaths(node.secretPaths);
}

/**
 * The delivery script of one node, run as root with the payload on stdin and `create` or `update`
 * as its argument. It refuses a truncated payload, restores a manifest an interrupted run parked,
 * writes secret files only when their bytes, mode or owner differ, runs the bootstrap (which
 * writes the node files and restarts containerd and the kubelet when theirs changed), restarts the
 * static pods and kubelet whose secrets changed, then waits for the node's health checks.
 */
export function deliveryScript(plan: DeliveryPlan): string {
  const podCases = Object.entries(plan.podSecrets)
    .map(([pod, deps]) => `  ${shellQuote(pod)}) deps=(${deps.map(shellQuote).join(" ")}) ;;`)
    .join("\n");
  const ports = Object.entries(plan.podPorts)
    .map(([pod, port]) => `  ${shellQuote(pod)}) port=${port} ;;`)
    .join("\n");
  const kubeletDeps = plan.kubeletSecrets;
  const depPaths = [...new Set([...Object.values(plan.podSecrets).flat(), ...kubeletDeps])]
    .sort()
    .map(shellQuote)
    .join(" ");
  const checks = plan.checks
    .map((c) => `  wait_for ${shellQuote(c.description)} ${shellQuote(c.command)}`)
    .join("\n");
  const lines = [
    "set -euo pipefail",
    `# kubeforge delivery for node ${plan.node}`,
    'MODE="${1:-create}"',
    "STATE=/var/lib/kubeforge",
    `TIMEOUT=${plan.healthTimeoutSeconds}`,
    'install -d -m 0700 "$STATE" "$STATE/parked"',
    "# A run interrupted while a static pod was parked would leave it stopped: bring it back first.",
    'for parked in "$STATE"/parked/*.yaml; do',
    `  [ -e "$parked" ] && mv -f "$parked" ${MANIFESTS_DIR}/`,
    "done",
    "",
    "wait_for() {",
    "  local deadline=$(( $(date +%s) + TIMEOUT ))",
    '  until bash -c "$2" >/dev/null 2>&1; do',
    '    if [ "$(date +%s)" -ge "$deadline" ]; then',
    '      echo "kubeforge: ${HOSTNAME}: $1 not healthy after ${TIMEOUT}s" >&2',
    "      return 1",
    "    fi",
    "    sleep 5",
    "  done",
    '  echo "kubeforge: $1 healthy"',
    "}",
    "",
    "# Read the whole payload before touching anything.",
    "entries=()",
    "complete=0",
    "while IFS= read -r line; do",
    `  if [ "$line" = ${shellQuote(PAYLOAD_END)} ]; then complete=1; break; fi`,
    '  entries+=("$line")',
    "done",
    'if [ "$complete" != 1 ]; then echo "kubeforge: truncated payload, nothing written" >&2; exit 1; fi',
    "",
    "CHANGED=()",
    'for entry in ${entries[@]+"${entries[@]}"}; do',
    '  read -r path mode owner data <<<"$entry"',
    '  install -d -m 0755 "$(dirname "$path")"',
    '  tmp="$(mktemp "$(dirname "$path")/.kubeforge.XXXXXX")"',
    '  printf "%s" "$data" | base64 -d >"$tmp"',
    '  if [ -f "$path" ] && cmp -s "$tmp" "$path" && [ "$(stat -c %a "$path")" = "${mode#0}" ] \\',
    '    && [ "$(stat -c %U:%G "$path")" = "$owner" ]; then',
    '    rm -f "$tmp"',
    "    continue",
    "  fi",
    '  chown "$owner" "$tmp"',
    '  chmod "$mode" "$tmp"',
    '  mv -f "$tmp" "$path"',
    '  CHANGED+=("$path")',
    "done",
    "",
    "# A dependency changed when the payload rewrote it (secrets) or the bootstrap did (node files).",
    `dep_sums() { local p; for p in ${depPaths || "''"}; do [ -f "$p" ] && sha256sum "$p"; done; true; }`,
    'sum_of() { awk -v p="$1" \'$2 == p { print $1 }\' <<<"$2"; }',
    'deps_before="$(dep_sums)"',
    "is_changed() {",
    '  local p; for p in ${CHANGED[@]+"${CHANGED[@]}"}; do [ "$p" = "$1" ] && return 0; done',
    '  [ "$(sum_of "$1" "$deps_before")" != "$(sum_of "$1" "$deps_after")" ]',
    "}",
    `manifest_sums() { sha256sum ${MANIFESTS_DIR}/*.yaml 2>/dev/null || true; }`,
    'before="$(manifest_sums)"',
  ];
  if (plan.bootstrap) lines.push(`${BOOTSTRAP_SCRIPT}`);
  else lines.push("systemctl daemon-reload");
  lines.push(
    'after="$(manifest_sums)"',
    'deps_after="$(dep_sums)"',
    "",
    "restart_pod() {",
    `  local pod="$1" manifest="${MANIFESTS_DIR}/$1.yaml" port=""`,
    '  [ -f "$manifest" ] || return 0',
    "  # The kubelet restarted it already when its manifest changed.",
    '  if [ "$(grep " $manifest\\$" <<<"$before")" != "$(grep " $manifest\\$" <<<"$after")" ]; then return 0; fi',
    '  case "$pod" in',
    ports,
    "  esac",
    '  mv -f "$manifest" "$STATE/parked/"',
    '  if [ -n "$port" ] && command -v ss >/dev/null; then',
    '    wait_for "$pod stop" "! ss -ltnH \\"sport = :$port\\" | grep -q ."',
    "  else",
    "    sleep 25",
    "  fi",
    '  mv -f "$STATE/parked/$pod.yaml" "$manifest"',
    '  echo "kubeforge: restarted $pod for its new credentials"',
    "}",
    "",
    `for manifest in ${MANIFESTS_DIR}/*.yaml; do`,
    '  [ -e "$manifest" ] || continue',
    '  pod="$(basename "$manifest" .yaml)"',
    "  deps=()",
    '  case "$pod" in',
    podCases,
    "  esac",
    '  for dep in ${deps[@]+"${deps[@]}"}; do',
    '    if is_changed "$dep"; then restart_pod "$pod"; break; fi',
    "  done",
    "done",
    `for dep in ${kubeletDeps.map(shellQuote).join(" ")}; do`,
    '  if is_changed "$dep"; then systemctl restart kubelet.service; break; fi',
    "done",
    "",
  );
  const gate = plan.gateOnCreate ? "true" : '[ "$MODE" = update ]';
  lines.push(`if ${gate}; then`, checks || "  :", "fi");
  if (plan.generation !== undefined) lines.push(...generationRecord(plan.generation));
  lines.push(`echo "kubeforge: node ${plan.node} delivered"`, "");
  return lines.join("\n");
}

/**
 * The remote command line: runs the script as root (through `sudo -n` for another user), with the
 * mode as its argument. The script is inlined so `pulumi preview` shows it; only stdin is secret.
 */
export function remoteCommand(script: string, mode: "create" | "update" | "delete"): string {
  return `$([ "$(id -u)" -eq 0 ] || echo "sudo -n") bash -c ${shellQuote(script)} kubeforge ${mode}`;
}

/**
 * cloud-init user-data for one node with its secrets: lib/worker's write_files document plus the
 * secret files, for users who create hosts with their cloud's Pulumi package. Secret.
 */
export function cloudInitWithSecrets(
  node: RenderedNode,
  secrets: pulumi.Output<DeliveredFile[]>,
): pulumi.Output<string> {
  // The bootstrap script carries every other node file; user-data adds only the secrets.
  const files = hostFiles(node)
    .filter((f) => f.path === BOOTSTRAP_SCRIPT)
    .map((f) => ({
      path: f.path,
      mode: f.mode,
      owner: f.owner,
      content: f.content,
    }));
  return pulumi.secret(secrets.apply((s) => cloudInitUserData([...files, ...s])));
}
