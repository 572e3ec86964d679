// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, whose ${…} expansions are intended.
import { MANIFESTS_DIR, paths } from "../paths";
import { ETCD_CLIENT_PORT } from "../spec/model";

/**
 * Shell scripts for the node operations around a rollout step — drain, uncordon, leave, reset —
 * run by the Pulumi stack over SSH. Every wait is bounded; every step is safe to run twice.
 */

/** The annotation a kubeforge drain sets, so only nodes kubeforge cordoned are uncordoned. */
export const DRAINED_ANNOTATION = "kubeforge.io/drained";

const q = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

function header(timeoutSeconds: number): string[] {
  return [
    "set -euo pipefail",
    `K="kubectl --kubeconfig ${paths.adminKubeconfig} --request-timeout=30s"`,
    `TIMEOUT=${timeoutSeconds}`,
  ];
}

/** Options of {@link drainScript}. */
export interface DrainTarget {
  /** The kubelet version after the change, e.g. `1.35.1`. */
  readonly kubeletVersion?: string;
  /** The containerd version after the change, e.g. `2.2.1`. */
  readonly containerdVersion?: string;
}

/**
 * Drains a worker before its kubelet or container runtime is replaced: skipped when the node is not
 * registered yet (a new cluster) or already reports the target versions (a re-run), so the drain
 * happens exactly when the versions the node runs change. Run on a control-plane node.
 */
export function drainScript(node: string, target: DrainTarget, timeoutSeconds: number): string {
  const want = `v${target.kubeletVersion ?? "unknown"} containerd://${target.containerdVersion ?? "unknown"}`;
  return [
    ...header(timeoutSeconds),
    `node=${q(node)}`,
    'if ! $K get node "$node" >/dev/null 2>&1; then echo "kubeforge: $node is not registered: nothing to drain"; exit 0; fi',
    `running="$($K get node "$node" -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}')"`,
    `if [ "$running" = ${q(want)} ]; then echo "kubeforge: $node already runs $running"; exit 0; fi`,
    `$K annotate node "$node" ${DRAINED_ANNOTATION}=true --overwrite`,
    '$K drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout="${TIMEOUT}s"',
    'echo "kubeforge: drained $node (was $running)"',
    "",
  ].join("\n");
}

/**
 * Uncordons a worker kubeforge drained, once it is Ready again (bounded wait). Nodes an operator
 * cordoned (without kubeforge's annotation) stay cordoned. Run on a control-plane node.
 */
export function uncordonScript(node: string, timeoutSeconds: number): string {
  const annotation = DRAINED_ANNOTATION.replace(/\./g, "\\.");
  return [
    ...header(timeoutSeconds),
    `node=${q(node)}`,
    'if ! $K get node "$node" >/dev/null 2>&1; then exit 0; fi',
    `if [ "$($K get node "$node" -o jsonpath='{.metadata.annotations.${annotation}}')" != true ]; then exit 0; fi`,
    "deadline=$(( $(date +%s) + TIMEOUT ))",
    `until [ "$($K get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; do`,
    '  if [ "$(date +%s)" -ge "$deadline" ]; then echo "kubeforge: $node not Ready after ${TIMEOUT}s; left cordoned" >&2; exit 1; fi',
    "  sleep 5",
    "done",
    '$K uncordon "$node"',
    `$K annotate node "$node" ${DRAINED_ANNOTATION}-`,
    'echo "kubeforge: uncordoned $node"',
    "",
  ].join("\n");
}

/** Options of {@link leaveScript}. */
export interface LeaveOptions {
  /** The node that leaves. */
  readonly node: string;
  /** Its etcd member is removed from the membership. */
  readonly etcdMember: boolean;
  /** The control-plane node the script runs on (its etcd pod runs etcdctl). */
  readonly via: string;
  readonly timeoutSeconds: number;
}

/**
 * Takes a node out of the cluster before its host is touched: drain (bounded), delete the Node
 * object, and for an etcd member `etcdctl member remove`, run in the etcd pod of another
 * control-plane node with the healthcheck client certificate, after checking that member is
 * healthy. Fails (and so stops the host reset) when the cluster cannot confirm any step.
 */
export function leaveScript(o: LeaveOptions): string {
  const lines = [
    ...header(o.timeoutSeconds),
    `node=${q(o.node)}`,
    'if $K get node "$node" >/dev/null 2>&1; then',
    '  $K drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout="${TIMEOUT}s"',
    '  $K delete node "$node" --ignore-not-found --timeout="${TIMEOUT}s"',
    '  echo "kubeforge: node $node drained and deleted"',
    "fi",
  ];
  if (o.etcdMember) {
    const etcdctl = [
      `$K -n kube-system exec ${q(`etcd-${o.via}`)} -- etcdctl`,
      `--endpoints=https://127.0.0.1:${ETCD_CLIENT_PORT}`,
      `--cacert=${paths.etcdCaCert}`,
      `--cert=${paths.etcdHealthcheckClientCert}`,
      `--key=${paths.etcdHealthcheckClientKey}`,
      "--command-timeout=30s",
    ].join(" ");
    lines.push(
      `etcdctl() { ${etcdctl} "$@"; }`,
      "etcdctl endpoint health",
      'members="$(etcdctl member list)"',
      `id="$(awk -F', ' -v n="$node" '$3 == n { print $1 }' <<<"$members")"`,
      'if [ -z "$id" ]; then',
      '  echo "kubeforge: $node is not an etcd member"',
      'elif [ "$(grep -c . <<<"$members")" -le 1 ]; then',
      '  echo "kubeforge: $node is the last etcd member: kept" >&2',
      "else",
      '  etcdctl member remove "$id"',
      '  echo "kubeforge: removed etcd member $node ($id)"',
      "fi",
    );
  }
  lines.push("");
  return lines.join("\n");
}

/**
 * Resets a host that left the cluster, after {@link leaveScript}: stops the static pods (their
 * manifests move aside), stops and disables the kubelet, and deletes the node's credentials,
 * configuration and etcd data, so nothing it ran can rejoin with stale state. containerd and the
 * installed binaries stay. Runs on the node itself.
 */
export function resetScript(etcdDataDir: string, timeoutSeconds: number): string {
  return [
    "set -euo pipefail",
    `TIMEOUT=${timeoutSeconds}`,
    "install -d -m 0700 /var/lib/kubeforge/removed",
    `for m in ${MANIFESTS_DIR}/*.yaml; do [ -e "$m" ] && mv -f "$m" /var/lib/kubeforge/removed/; done`,
    "deadline=$(( $(date +%s) + TIMEOUT ))",
    "while pgrep -x 'etcd|kube-apiserver|kube-controller-manager|kube-scheduler' >/dev/null; do",
    '  if [ "$(date +%s)" -ge "$deadline" ]; then echo "kubeforge: static pods still running after ${TIMEOUT}s" >&2; break; fi',
    "  sleep 2",
    "done",
    "systemctl disable --now kubelet.service || true",
    `rm -rf /etc/kubernetes /var/lib/kubelet ${q(etcdDataDir)} /var/lib/kubeforge/removed`,
    'echo "kubeforge: host reset"',
    "",
  ].join("\n");
}
