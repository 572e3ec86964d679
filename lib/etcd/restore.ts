// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, whose ${…} expansions are intended.
import { Construct } from "constructs";
import { NodeFile } from "../host/node-file";
import { KUBERNETES_DIR, MANIFESTS_DIR } from "../paths";
import { shellQuote } from "../private/format";
import { type ClusterModel, ETCD_LOCAL_METRICS_URL } from "../spec/model";
import type { NodeSpec } from "../spec/schema";
import type { EtcdMinor } from "../spec/versions";
import { etcdOfflineTool, etcdToolFunction } from "./backup";

/** Where the generated restore script is installed on every etcd member. */
export const ETCD_RESTORE_SCRIPT = "/usr/local/sbin/kubeforge-etcd-restore.sh";
/** Where `stop` parks the etcd and API server manifests while the member is restored. */
export const RESTORE_HELD_DIR = `${KUBERNETES_DIR}/kubeforge-restore-held`;
/** Seconds `stop` and `start` wait for the member to go down or come up. */
export const RESTORE_WAIT_SECONDS = 120;

/** What the restore script of one member needs: exactly the values of its synthesized etcd flags. */
export interface RestoreScriptOptions {
  readonly member: string;
  readonly minor: EtcdMinor;
  readonly image: string;
  readonly dataDir: string;
  readonly initialCluster: string;
  readonly initialClusterToken: string;
  readonly initialAdvertisePeerUrls: string;
}

/**
 * The restore script of one member, in phases the operator runs across the cluster (see
 * {@link restoreProcedure}): `stop` parks the etcd and API server manifests so the kubelet stops
 * both, `restore SNAPSHOT` rebuilds the data directory from one snapshot with this member's
 * identity (the old directory is kept aside), `start` returns the etcd manifest and waits until the
 * member serves, `finish` returns the API server manifest. `start` must run on one member at a time:
 * with the initial corruption check a restored member asks its peers for hashes before it serves
 * peer traffic itself, so members started together wait on each other until the check times out.
 * The restore tool follows the etcd minor: etcdctl for 3.4, etcdutl for 3.5 and later.
 */
export function etcdRestoreScript(o: RestoreScriptOptions): string {
  const tool = etcdOfflineTool(o.minor);
  return [
    "#!/usr/bin/env bash",
    `# kubeforge etcd restore for member ${o.member} (etcd ${o.minor}). Generated: re-run \`kubeforge synth\` instead of editing.`,
    "# Run 'kubeforge etcd restore-script' for the whole-cluster order of the phases below.",
    "set -euo pipefail",
    "umask 077",
    "",
    `readonly MEMBER=${shellQuote(o.member)}`,
    `readonly DATA_DIR=${shellQuote(o.dataDir)}`,
    `readonly MANIFESTS_DIR=${shellQuote(MANIFESTS_DIR)}`,
    `readonly HELD_DIR=${shellQuote(RESTORE_HELD_DIR)}`,
    `readonly METRICS_URL=${shellQuote(ETCD_LOCAL_METRICS_URL)}`,
    `readonly INITIAL_CLUSTER=${shellQuote(o.initialCluster)}`,
    `readonly INITIAL_CLUSTER_TOKEN=${shellQuote(o.initialClusterToken)}`,
    `readonly INITIAL_ADVERTISE_PEER_URLS=${shellQuote(o.initialAdvertisePeerUrls)}`,
    ...etcdToolFunction(o.image),
    "",
    "usage() {",
    '  echo "usage: $0 stop | restore SNAPSHOT | start | wait [SECONDS] | finish" >&2',
    "  exit 2",
    "}",
    "",
    "# answering: true when the local member answers HTTP on its metrics listener (any status).",
    "answering() {",
    '  curl -s -o /dev/null --max-time 2 "${METRICS_URL}/health"',
    "}",
    "",
    "# wait_until up|down SECONDS",
    "wait_until() {",
    '  local want="$1" i',
    "  for ((i = 0; i < $2; i++)); do",
    '    if [[ "${want}" == up ]] && answering; then return 0; fi',
    '    if [[ "${want}" == down ]] && ! answering; then return 0; fi',
    "    sleep 1",
    "  done",
    '  echo "kubeforge-etcd-restore: member ${MEMBER} is not ${want} after $2 s" >&2',
    "  return 1",
    "}",
    "",
    "# park FILE: moves a manifest out of the kubelet's sight (no-op when it is already parked or absent).",
    "park() {",
    '  install -d -m 0700 "${HELD_DIR}"',
    '  if [[ -f "${MANIFESTS_DIR}/$1" ]]; then mv -f "${MANIFESTS_DIR}/$1" "${HELD_DIR}/$1"; fi',
    "}",
    "",
    "# unpark FILE: returns a parked manifest to the kubelet.",
    "unpark() {",
    '  if [[ -f "${HELD_DIR}/$1" ]]; then mv -f "${HELD_DIR}/$1" "${MANIFESTS_DIR}/$1"; fi',
    "}",
    "",
    'case "${1:-}" in',
    "  stop)",
    "    park kube-apiserver.yaml",
    "    park etcd.yaml",
    `    wait_until down ${RESTORE_WAIT_SECONDS}`,
    '    echo "kubeforge-etcd-restore: ${MEMBER} stopped"',
    "    ;;",
    "  restore)",
    "    [[ $# -eq 2 ]] || usage",
    '    snapshot="$(realpath -e "$2")"',
    "    if answering; then",
    "      echo \"kubeforge-etcd-restore: ${MEMBER} is still running; run '$0 stop' first\" >&2",
    "      exit 1",
    "    fi",
    '    staging="${DATA_DIR}.restoring"',
    '    rm -rf -- "${staging}"',
    '    install -d -m 0700 "${staging}"',
    '    MOUNTS=("$(dirname "${snapshot}")" "${staging}")',
    `    etcd_tool ${tool} snapshot status "\${snapshot}" --write-out=table`,
    `    etcd_tool ${tool} snapshot restore "\${snapshot}" --name="\${MEMBER}" \\`,
    '      --initial-cluster="${INITIAL_CLUSTER}" --initial-cluster-token="${INITIAL_CLUSTER_TOKEN}" \\',
    '      --initial-advertise-peer-urls="${INITIAL_ADVERTISE_PEER_URLS}" --data-dir="${staging}/data"',
    '    if [[ -e "${DATA_DIR}" ]]; then',
    '      aside="${DATA_DIR}.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"',
    '      mv -- "${DATA_DIR}" "${aside}"',
    '      echo "kubeforge-etcd-restore: previous data kept in ${aside}"',
    "    fi",
    '    mv -- "${staging}/data" "${DATA_DIR}"',
    '    rmdir -- "${staging}"',
    '    chmod 0700 "${DATA_DIR}"',
    '    echo "kubeforge-etcd-restore: ${MEMBER} restored from ${snapshot}"',
    "    ;;",
    "  start)",
    "    unpark etcd.yaml",
    '    [[ -f "${MANIFESTS_DIR}/etcd.yaml" ]] || { echo "kubeforge-etcd-restore: no etcd manifest" >&2; exit 1; }',
    `    wait_until up ${RESTORE_WAIT_SECONDS}`,
    '    echo "kubeforge-etcd-restore: ${MEMBER} is serving; start the next member"',
    "    ;;",
    "  wait)",
    `    wait_until up "\${2:-${RESTORE_WAIT_SECONDS}}"`,
    "    ;;",
    "  finish)",
    "    unpark kube-apiserver.yaml",
    '    rmdir --ignore-fail-on-non-empty -- "${HELD_DIR}" 2>/dev/null || true',
    '    echo "kubeforge-etcd-restore: ${MEMBER} finished"',
    "    ;;",
    "  *) usage ;;",
    "esac",
    "",
  ].join("\n");
}

/** The restore options of a member, from the model: the values its etcd flags carry. */
export function restoreOptionsFor(model: ClusterModel, node: NodeSpec): RestoreScriptOptions {
  const member = model.etcdMemberOf(node.name);
  if (!member) throw new Error(`internal: ${node.name} is not an etcd member`);
  return {
    member: member.name,
    minor: model.spec.etcdMinor,
    image: model.images.etcd,
    dataDir: model.spec.etcd.dataDir,
    initialCluster: model.etcdInitialCluster,
    initialClusterToken: `${model.spec.name}-etcd`,
    initialAdvertisePeerUrls: member.peerUrl,
  };
}

/** One step of the cluster-wide restore: a command on one node. Steps run in order. */
export interface RestoreStep {
  /** 1-based phase; steps of one phase with `parallel: true` may run at the same time. */
  readonly phase: number;
  readonly node: string;
  readonly command: string;
  readonly parallel: boolean;
  readonly why: string;
}

/**
 * The cluster-wide restore order: stop every member (and the API servers), restore the same
 * snapshot on every member, start the members one at a time in member order (each `start` returns
 * only when its member serves), then return the API servers.
 */
export function restoreProcedure(model: ClusterModel, snapshot: string): RestoreStep[] {
  const members = model.etcdMembers.map((m) => m.name);
  const apiServers = model.controlPlaneNodes.map((n) => n.name);
  const hosts = [...new Set([...apiServers, ...members])];
  const q = shellQuote(snapshot);
  return [
    ...hosts.map((node) => ({
      phase: 1,
      node,
      command: `${ETCD_RESTORE_SCRIPT} stop`,
      parallel: true,
      why: "stop the API server and the etcd member",
    })),
    ...members.map((node) => ({
      phase: 2,
      node,
      command: `${ETCD_RESTORE_SCRIPT} restore ${q}`,
      parallel: true,
      why: "rebuild the data directory from the same snapshot (copy it to every member first)",
    })),
    ...members.map((node) => ({
      phase: 3,
      node,
      command: `${ETCD_RESTORE_SCRIPT} start`,
      parallel: false,
      why: "start this member and wait until it serves, before the next one",
    })),
    ...hosts
      .filter((n) => apiServers.includes(n))
      .map((node) => ({
        phase: 4,
        node,
        command: `${ETCD_RESTORE_SCRIPT} finish`,
        parallel: true,
        why: "start the API server again",
      })),
  ];
}

/** The procedure as a readable runbook (one `ssh` line per step). */
export function formatRestoreProcedure(model: ClusterModel, snapshot: string): string {
  const steps = restoreProcedure(model, snapshot);
  const titles: Record<number, string> = {
    1: "Stop: on every node below (any order, may run together)",
    2: "Restore: copy the SAME snapshot to every member, then on each (may run together)",
    3: "Start: ONE member at a time, in this order; each command returns when its member serves",
    4: "Finish: on every control-plane node",
  };
  const out = [
    `# Restore etcd of cluster '${model.spec.name}' (etcd ${model.spec.etcdVersion}) from ${snapshot}`,
  ];
  for (const phase of [1, 2, 3, 4]) {
    out.push("", `# ${phase}. ${titles[phase]}`);
    for (const s of steps.filter((x) => x.phase === phase)) out.push(`ssh ${s.node} sudo ${s.command}`);
  }
  out.push("");
  return out.join("\n");
}

/** Props of {@link EtcdRestore}. */
export interface EtcdRestoreProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
  /** The etcd member's node. */
  readonly node: NodeSpec;
}

/** The restore script of one etcd member as a node file (0700). */
export class EtcdRestore extends Construct {
  readonly script: string;

  constructor(scope: Construct, id: string, props: EtcdRestoreProps) {
    super(scope, id);
    this.script = etcdRestoreScript(restoreOptionsFor(props.model, props.node));
    NodeFile.text(this, "script", ETCD_RESTORE_SCRIPT, this.script, 0o700);
  }
}
