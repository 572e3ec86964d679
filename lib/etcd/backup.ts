// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, whose ${…} expansions are intended.
import { Construct } from "constructs";
import { NodeFile } from "../host/node-file";
import { ETCD_PKI_DIR, paths } from "../paths";
import { shellQuote } from "../private/format";
import { type ClusterModel, ETCD_LOCAL_CLIENT_URL } from "../spec/model";
import type { NodeSpec } from "../spec/schema";
import type { EtcdMinor } from "../spec/versions";

/** Where the generated backup script is installed on every etcd member. */
export const ETCD_BACKUP_SCRIPT = "/usr/local/sbin/kubeforge-etcd-backup.sh";
/** The oneshot unit that runs the backup script. */
export const ETCD_BACKUP_SERVICE = "/etc/systemd/system/kubeforge-etcd-backup.service";
/** The timer that schedules the backup service. */
export const ETCD_BACKUP_TIMER = "/etc/systemd/system/kubeforge-etcd-backup.timer";
/**
 * A kubelet drop-in that `Wants=` the timer: the bootstrap enables only containerd and the kubelet,
 * and the timer belongs with the kubelet anyway (no kubelet, no etcd static pod to back up).
 */
export const ETCD_BACKUP_KUBELET_DROP_IN =
  "/etc/systemd/system/kubelet.service.d/20-kubeforge-etcd-backup.conf";

/** The etcd tools of a minor: 3.5 moved the offline commands (restore, status) to etcdutl, 3.6 removed them from etcdctl. */
export function etcdOfflineTool(minor: EtcdMinor): "etcdctl" | "etcdutl" {
  return minor === "3.4" ? "etcdctl" : "etcdutl";
}

/** The local member's endpoints, as every script on a member uses them. */

/**
 * The bash function shared by the backup and restore scripts: `etcd_tool etcdctl|etcdutl ARGS…` runs
 * the tool from the member's own etcd image through containerd, so the tool always matches the
 * member's etcd version (the snapshot format and the restore semantics follow the etcd minor).
 * `KUBEFORGE_ETCDCTL` / `KUBEFORGE_ETCDUTL` name host binaries to use instead, for hosts that
 * install etcd's tools themselves. `MOUNTS` lists the host directories the tool needs.
 */
export function etcdToolFunction(image: string): string[] {
  return [
    `readonly ETCD_IMAGE=${shellQuote(image)}`,
    "MOUNTS=()",
    "",
    "# etcd_tool etcdctl|etcdutl ARGS...: the tool of the member's own etcd image (same version as the",
    "# member), or a host binary named by KUBEFORGE_ETCDCTL / KUBEFORGE_ETCDUTL.",
    "etcd_tool() {",
    '  local tool="$1" override="" dir',
    "  shift",
    '  if [[ "${tool}" == etcdctl ]]; then override="${KUBEFORGE_ETCDCTL:-}"; else override="${KUBEFORGE_ETCDUTL:-}"; fi',
    '  if [[ -n "${override}" ]]; then',
    '    ETCDCTL_API=3 "${override}" "$@"',
    "    return",
    "  fi",
    "  local args=(--namespace k8s.io run --rm --net-host --env ETCDCTL_API=3)",
    '  for dir in "${MOUNTS[@]}"; do',
    '    args+=(--mount "type=bind,src=${dir},dst=${dir},options=rbind:rw")',
    "  done",
    '  ctr "${args[@]}" "${ETCD_IMAGE}" "kubeforge-${tool}-$$" "/usr/local/bin/${tool}" "$@"',
    "}",
  ];
}

/** What the backup script of one member needs. */
export interface BackupScriptOptions {
  readonly member: string;
  readonly minor: EtcdMinor;
  readonly image: string;
  readonly directory: string;
  readonly retention: number;
}

/**
 * The backup script of one member (`set -euo pipefail`, shellcheck-clean): snapshots the local
 * member through its loopback client listener with the healthcheck client certificate, writes to a
 * `.part` file that is verified (`snapshot status`) before it is renamed, then deletes all but the
 * newest `retention` snapshots of this member. File names sort by time
 * (`etcd-<member>-<UTC timestamp>.db`), so retention needs no metadata.
 */
export function etcdBackupScript(o: BackupScriptOptions): string {
  const status = etcdOfflineTool(o.minor);
  return [
    "#!/usr/bin/env bash",
    `# kubeforge etcd backup of member ${o.member} (etcd ${o.minor}). Generated: re-run \`kubeforge synth\` instead of editing.`,
    "set -euo pipefail",
    "umask 077",
    "",
    `readonly MEMBER=${shellQuote(o.member)}`,
    `readonly BACKUP_DIR=${shellQuote(o.directory)}`,
    `readonly RETAIN=${o.retention}`,
    `readonly ENDPOINT=${shellQuote(ETCD_LOCAL_CLIENT_URL)}`,
    `readonly PKI_DIR=${shellQuote(ETCD_PKI_DIR)}`,
    `readonly CACERT=${shellQuote(paths.etcdCaCert)}`,
    `readonly CERT=${shellQuote(paths.etcdHealthcheckClientCert)}`,
    `readonly KEY=${shellQuote(paths.etcdHealthcheckClientKey)}`,
    ...etcdToolFunction(o.image),
    "",
    'install -d -m 0700 "${BACKUP_DIR}"',
    'MOUNTS=("${PKI_DIR}" "${BACKUP_DIR}")',
    'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
    'target="${BACKUP_DIR}/etcd-${MEMBER}-${stamp}.db"',
    'partial="${target}.part"',
    "trap 'rm -f \"${partial}\"' EXIT",
    "",
    'etcd_tool etcdctl --endpoints="${ENDPOINT}" --cacert="${CACERT}" --cert="${CERT}" --key="${KEY}" \\',
    '  --dial-timeout=5s --command-timeout=300s snapshot save "${partial}" >/dev/null',
    "# A snapshot that its own tool cannot read is not a backup: verify before it counts.",
    `etcd_tool ${status} snapshot status "\${partial}" --write-out=table`,
    'mv -f "${partial}" "${target}"',
    "",
    "# Retention: keep the newest RETAIN snapshots of this member, only after a successful one.",
    "mapfile -t snapshots < <(",
    '  find "${BACKUP_DIR}" -maxdepth 1 -type f -name "etcd-${MEMBER}-*.db" -printf "%f\\n" | sort -r',
    ")",
    'for old in "${snapshots[@]:RETAIN}"; do',
    '  rm -f -- "${BACKUP_DIR:?}/${old}"',
    "done",
    'echo "kubeforge-etcd-backup: ${target} ($((${#snapshots[@]} < RETAIN ? ${#snapshots[@]} : RETAIN)) kept)"',
    "",
  ].join("\n");
}

/** The oneshot service that runs the backup script; skipped while the member is stopped for a restore. */
export function etcdBackupService(member: string): string {
  return [
    "[Unit]",
    `Description=kubeforge etcd snapshot of member ${member}`,
    "Documentation=https://etcd.io/docs/latest/op-guide/recovery/",
    // A member held out for a restore has no manifest: no snapshot of a half-restored cluster.
    "ConditionPathExists=/etc/kubernetes/manifests/etcd.yaml",
    "After=kubelet.service",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${ETCD_BACKUP_SCRIPT}`,
    "Nice=10",
    "IOSchedulingClass=idle",
    "ProtectHome=yes",
    "",
  ].join("\n");
}

/** The timer: the spec's OnCalendar schedule; a missed run (host down) runs at the next boot. */
export function etcdBackupTimer(schedule: string): string {
  return [
    "[Unit]",
    "Description=kubeforge etcd snapshots",
    "",
    "[Timer]",
    `OnCalendar=${schedule}`,
    "Persistent=true",
    "AccuracySec=1min",
    "Unit=kubeforge-etcd-backup.service",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}

/** Props of {@link EtcdBackup}. */
export interface EtcdBackupProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
  /** The etcd member's node. */
  readonly node: NodeSpec;
}

/**
 * Scheduled snapshots on one etcd member (`etcd.backup`): the backup script (0700), a oneshot
 * service and its timer, and a kubelet drop-in that pulls the timer in. Each member snapshots
 * itself, so every member holds its own copies.
 * @see https://etcd.io/docs/latest/op-guide/recovery/
 */
export class EtcdBackup extends Construct {
  readonly script: string;

  constructor(scope: Construct, id: string, props: EtcdBackupProps) {
    super(scope, id);
    const { model, node } = props;
    const member = model.etcdMemberOf(node.name);
    if (!member) throw new Error(`internal: ${node.name} is not an etcd member`);
    const backup = model.spec.etcd.backup;
    this.script = etcdBackupScript({
      member: member.name,
      minor: model.spec.etcdMinor,
      image: model.images.etcd,
      directory: backup.directory,
      retention: backup.retention,
    });
    NodeFile.text(this, "script", ETCD_BACKUP_SCRIPT, this.script, 0o700);
    NodeFile.text(this, "service", ETCD_BACKUP_SERVICE, etcdBackupService(member.name), 0o644);
    NodeFile.text(this, "timer", ETCD_BACKUP_TIMER, etcdBackupTimer(backup.schedule), 0o644);
    NodeFile.text(
      this,
      "kubelet-drop-in",
      ETCD_BACKUP_KUBELET_DROP_IN,
      "[Unit]\nWants=kubeforge-etcd-backup.timer\n",
      0o600,
    );
  }
}
