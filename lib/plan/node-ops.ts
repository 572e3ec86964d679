// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, whose ${…} expansions are intended.
import { MANIFESTS_DIR, paths } from "../paths";
import { shellQuote as q } from "../private/format";
import { ETCD_LOCAL_CLIENT_URL } from "../spec/model";

/**
 * Shell scripts for the node operations around a rollout step — drain, uncordon, membership, reset —
 * run by the Pulumi stack over SSH. Every wait is bounded; every step is safe to run twice.
 */

/** The annotation a kubeforge drain sets, so only nodes kubeforge cordoned are uncordoned. */
export const DRAINED_ANNOTATION = "kubeforge.io/drained";

function header(timeoutSeconds: number): string[] {
  return [
    "set -euo pipefail",
    `K="kubectl --kubeconfig ${paths.adminKubeconfig} --request-timeout=30s"`,
    `TIMEOUT=${timeoutSeconds}`,
  ];
}

/** One worker of a batch drain, with the versions it runs after the change. */
export interface DrainTarget {
  readonly node: string;
  /** The kubelet version after the change, e.g. `1.35.1`. */
  readonly kubeletVersion?: string;
  /** The containerd version after the change, e.g. `2.2.1`. */
  readonly containerdVersion?: string;
}

/**
 * Drains the workers of one batch before their kubelet or container runtime is replaced. A node is
 * skipped when it is not registered yet (a new cluster) or already reports its target versions (a
 * re-run), so a node is drained exactly when the versions it runs change. Every node to drain is
 * cordoned first, so pods evicted from one are not rescheduled onto another node of the batch; the
 * drains then run in parallel, each bounded by the timeout. Run on a control-plane node.
 */
export function drainScript(targets: readonly DrainTarget[], timeoutSeconds: number): string {
  const want = (t: DrainTarget) =>
    `v${t.kubeletVersion ?? "unknown"} containerd://${t.containerdVersion ?? "unknown"}`;
  return [
    ...header(timeoutSeconds),
    "drain=()",
    "consider() {",
    '  local node="$1" want="$2" running',
    '  if ! $K get node "$node" >/dev/null 2>&1; then echo "kubeforge: $node is not registered: nothing to drain"; return 0; fi',
    `  running="$($K get node "$node" -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}')"`,
    '  if [ "$running" = "$want" ]; then echo "kubeforge: $node already runs $running"; return 0; fi',
    `  $K annotate node "$node" ${DRAINED_ANNOTATION}=true --overwrite`,
    '  $K cordon "$node"',
    '  echo "kubeforge: cordoned $node (runs $running, wants $want)"',
    '  drain+=("$node")',
    "}",
    ...targets.map((t) => `consider ${q(t.node)} ${q(want(t))}`),
    "pids=()",
    'for node in ${drain[@]+"${drain[@]}"}; do',
    '  $K drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout="${TIMEOUT}s" &',
    '  pids+=("$!")',
    "done",
    "failed=0",
    'for pid in ${pids[@]+"${pids[@]}"}; do wait "$pid" || failed=1; done',
    'if [ "$failed" != 0 ]; then echo "kubeforge: a drain did not finish within ${TIMEOUT}s" >&2; exit 1; fi',
    'echo "kubeforge: drained ${#drain[@]} node(s)"',
    "",
  ].join("\n");
}

/**
 * Uncordons the workers of a batch that kubeforge drained, each once it is Ready again (one bounded
 * wait for the batch). Nodes an operator cordoned (without kubeforge's annotation) stay cordoned.
 * Run on a control-plane node, after the batch's health gate.
 */
export function uncordonScript(nodes: readonly string[], timeoutSeconds: number): string {
  const annotation = DRAINED_ANNOTATION.replace(/\./g, "\\.");
  return [
    ...header(timeoutSeconds),
    "deadline=$(( $(date +%s) + TIMEOUT ))",
    "uncordon() {",
    '  local node="$1"',
    '  if ! $K get node "$node" >/dev/null 2>&1; then return 0; fi',
    `  if [ "$($K get node "$node" -o jsonpath='{.metadata.annotations.${annotation}}')" != true ]; then return 0; fi`,
    `  until [ "$($K get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; do`,
    '    if [ "$(date +%s)" -ge "$deadline" ]; then echo "kubeforge: $node not Ready after ${TIMEOUT}s; left cordoned" >&2; return 1; fi',
    "    sleep 5",
    "  done",
    '  $K uncordon "$node"',
    `  $K annotate node "$node" ${DRAINED_ANNOTATION}-`,
    '  echo "kubeforge: uncordoned $node"',
    "}",
    ...nodes.map((n) => `uncordon ${q(n)}`),
    "",
  ].join("\n");
}

/** The ConfigMap (in kube-system) where the membership command records the nodes kubeforge manages. */
export const MEMBERSHIP_RECORD = "kubeforge-nodes";

/** Ends the membership command's stdin, so a truncated list never reads as "every node left". */
export const MEMBERSHIP_END = "#kubeforge-end";

/** The membership command's stdin: every node of the spec and every etcd member, one per line. */
export function membershipInput(nodes: readonly string[], etcdMembers: readonly string[]): string {
  return [
    ...[...nodes].sort().map((n) => `node ${n}`),
    ...[...etcdMembers].sort().map((n) => `etcd ${n}`),
    MEMBERSHIP_END,
    "",
  ].join("\n");
}

/** Options of {@link membershipScript}. */
export interface MembershipOptions {
  /**
   * The control-plane node the script runs on; when it runs a stacked etcd member, etcd members that
   * left the spec are removed through its etcd pod. Undefined: etcd membership is not touched.
   */
  readonly etcdVia?: string;
  readonly timeoutSeconds: number;
}

/**
 * Takes the nodes that left the spec out of the cluster, before their hosts are reset: reads the spec's
 * nodes and etcd members from stdin ({@link membershipInput}); drains (bounded) and deletes the Node
 * objects of nodes kubeforge recorded as its own (ConfigMap {@link MEMBERSHIP_RECORD}) that are no
 * longer in the spec, so nodes it never managed (an autoscaler's, say) are left alone; removes the etcd
 * members that are not in the spec with `etcdctl member remove`, run in the etcd pod of `etcdVia` with
 * the healthcheck client certificate, after `etcdctl endpoint health`, and refuses (exit 1) a removal
 * that would leave fewer than a quorum of the current members (lib/plan's ETCD_QUORUM_LOSS rule);
 * then records the spec's nodes. Any failure fails the command, and so stops the update before any
 * host reset runs. Idempotent: a re-run finds nothing left to remove. Run on a control-plane node.
 */
export function membershipScript(o: MembershipOptions): string {
  const lines = [
    ...header(o.timeoutSeconds),
    o.etcdVia === undefined ? "declare -A keep=()" : "declare -A keep=() keep_etcd=()",
    "complete=0",
    "while read -r kind name; do",
    '  case "$kind" in',
    '    node) keep["$name"]=1 ;;',
    o.etcdVia === undefined ? "    etcd) ;;" : '    etcd) keep_etcd["$name"]=1 ;;',
    `    ${q(MEMBERSHIP_END)}) complete=1; break ;;`,
    "  esac",
    "done",
    'if [ "$complete" != 1 ] || [ "${#keep[@]}" -eq 0 ]; then echo "kubeforge: truncated node list: nothing removed" >&2; exit 1; fi',
    "",
    `recorded="$($K -n kube-system get configmap ${MEMBERSHIP_RECORD} --ignore-not-found -o jsonpath='{.data.nodes}')"`,
    "while read -r node; do",
    '  if [ -z "$node" ] || [ -n "${keep[$node]+x}" ]; then continue; fi',
    '  if [ -n "$($K get node "$node" --ignore-not-found -o name)" ]; then',
    '    $K drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout="${TIMEOUT}s"',
    '    $K delete node "$node" --ignore-not-found --timeout="${TIMEOUT}s"',
    '    echo "kubeforge: node $node drained and deleted"',
    "  fi",
    'done <<<"$recorded"',
  ];
  if (o.etcdVia !== undefined) {
    const etcdctl = [
      `$K -n kube-system exec ${q(`etcd-${o.etcdVia}`)} -- etcdctl`,
      `--endpoints=${ETCD_LOCAL_CLIENT_URL}`,
      `--cacert=${paths.etcdCaCert}`,
      `--cert=${paths.etcdHealthcheckClientCert}`,
      `--key=${paths.etcdHealthcheckClientKey}`,
      "--command-timeout=30s",
    ].join(" ");
    lines.push(
      "",
      `etcdctl() { ${etcdctl} "$@"; }`,
      'members="$(etcdctl member list)"',
      'total="$(grep -c . <<<"$members" || true)"',
      "leaving=()",
      "while IFS= read -r line; do",
      `  name="$(awk -F', ' '{ print $3 }' <<<"$line")"`,
      '  if [ -n "$name" ] && [ -z "${keep_etcd[$name]+x}" ]; then leaving+=("$line"); fi',
      'done <<<"$members"',
      'if [ "${#leaving[@]}" -gt 0 ]; then',
      "  if [ $(( total - ${#leaving[@]} )) -lt $(( total / 2 + 1 )) ]; then",
      '    echo "kubeforge: removing ${#leaving[@]} of ${total} etcd members would lose quorum: none removed" >&2',
      "    exit 1",
      "  fi",
      "  etcdctl endpoint health",
      '  for line in "${leaving[@]}"; do',
      `    id="$(awk -F', ' '{ print $1 }' <<<"$line")"`,
      `    name="$(awk -F', ' '{ print $3 }' <<<"$line")"`,
      '    etcdctl member remove "$id"',
      '    echo "kubeforge: removed etcd member $name ($id)"',
      "  done",
      "fi",
    );
  }
  lines.push(
    "",
    'list="$(mktemp)"',
    "trap 'rm -f \"$list\"' EXIT",
    'printf \'%s\\n\' "${!keep[@]}" | sort >"$list"',
    `$K -n kube-system create configmap ${MEMBERSHIP_RECORD} --from-file=nodes="$list" --dry-run=client -o yaml | $K apply -f -`,
    'echo "kubeforge: ${#keep[@]} node(s) recorded"',
    "",
  );
  return lines.join("\n");
}

/**
 * Where a delivery records its generation (the node's content hash) and how many other deliveries
 * of the same generation are still on record: `<generation> <copies>`.
 */
export const GENERATION_FILE = "/var/lib/kubeforge/generation";

/**
 * The end of a delivery script: records the generation it delivered. A `create` that finds its own
 * generation already recorded is a second delivery of the same content (`pulumi up --replace`, a
 * renamed resource) whose predecessor's delete is still to come: it counts one more copy, which that
 * delete consumes instead of resetting the host. Written last and atomically, so a delivery that
 * failed never claims the host. Expects the delivery script's `MODE` (`create` or `update`).
 */
export function generationRecord(generation: string): string[] {
  return [
    `GENERATION=${q(generation)}`,
    `read -r recorded copies 2>/dev/null <${GENERATION_FILE} || true`,
    'if [ "${recorded:-}" = "$GENERATION" ]; then',
    '  case "${copies:-}" in "" | *[!0-9]*) copies=0 ;; esac',
    '  if [ "$MODE" = create ]; then copies=$((copies + 1)); fi',
    "else",
    "  copies=0",
    "fi",
    `printf '%s %s\\n' "$GENERATION" "$copies" >${GENERATION_FILE}.tmp`,
    `mv -f ${GENERATION_FILE}.tmp ${GENERATION_FILE}`,
  ];
}

/** Options of {@link resetScript}. */
export interface ResetOptions {
  readonly node: string;
  /** The generation of the delivery whose delete this is (see {@link generationRecord}). */
  readonly generation: string;
  readonly etcdDataDir: string;
  readonly timeoutSeconds: number;
}

/**
 * The `delete` of a node's delivery: resets the host that left the cluster, after the membership
 * command took it out ({@link membershipScript}): stops the static pods (their manifests move
 * aside), stops and disables the kubelet, and deletes the node's credentials, configuration and etcd
 * data, so nothing it ran can rejoin with stale state. containerd and the installed binaries stay.
 * Guarded: it resets only while the host's recorded generation is this delivery's and no other copy
 * of it is on record, so the delete of a delivery that a newer one replaced leaves the host alone.
 * Runs on the node itself.
 */
export function resetScript(o: ResetOptions): string {
  return [
    "set -euo pipefail",
    `TIMEOUT=${o.timeoutSeconds}`,
    `GENERATION=${q(o.generation)}`,
    `node=${q(o.node)}`,
    `read -r recorded copies 2>/dev/null <${GENERATION_FILE} || true`,
    'if [ "${recorded:-}" != "$GENERATION" ]; then',
    '  echo "kubeforge: $node runs another delivery (${recorded:-none}): host kept"',
    "  exit 0",
    "fi",
    'case "${copies:-}" in "" | *[!0-9]*) copies=0 ;; esac',
    'if [ "$copies" -gt 0 ]; then',
    `  printf '%s %s\\n' "$GENERATION" "$((copies - 1))" >${GENERATION_FILE}.tmp`,
    `  mv -f ${GENERATION_FILE}.tmp ${GENERATION_FILE}`,
    '  echo "kubeforge: $node has another delivery of the same content: host kept"',
    "  exit 0",
    "fi",
    "install -d -m 0700 /var/lib/kubeforge/removed",
    `for m in ${MANIFESTS_DIR}/*.yaml; do [ -e "$m" ] && mv -f "$m" /var/lib/kubeforge/removed/; done`,
    "deadline=$(( $(date +%s) + TIMEOUT ))",
    "while pgrep -x 'etcd|kube-apiserver|kube-controller-manager|kube-scheduler' >/dev/null; do",
    '  if [ "$(date +%s)" -ge "$deadline" ]; then echo "kubeforge: static pods still running after ${TIMEOUT}s" >&2; break; fi',
    "  sleep 2",
    "done",
    "systemctl disable --now kubelet.service || true",
    `rm -rf /etc/kubernetes /var/lib/kubelet ${q(o.etcdDataDir)} /var/lib/kubeforge/removed ${GENERATION_FILE}`,
    'echo "kubeforge: host $node reset"',
    "",
  ].join("\n");
}
