// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, whose ${…} expansions are intended.
import type { Construct } from "constructs";
import { HostNode, NodeFile } from "../host/node-file";
import {
  HOSTS_BEGIN_MARKER,
  HOSTS_END_MARKER,
  KUBEFORGE_HOSTS_FILE,
  MODULES_LOAD_FILE,
  SYSCTL_FILE,
} from "../networking/host-networking";
import { formatMode, shellQuote } from "../private/format";
import { ARCHES, type Arch, type Download } from "./checksums";

/** Where the bootstrap script is installed on the host. */
export const BOOTSTRAP_SCRIPT = "/usr/local/sbin/kubeforge-bootstrap.sh";
/** Where the bootstrap records the digest of each installed artifact, to skip it on the next run. */
export const INSTALLED_DIR = "/var/lib/kubeforge/installed";

/** One file the script writes: host path, mode, owner and exact bytes. */
export interface ScriptFile {
  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  readonly content: string;
}

/** Everything the script of one node needs. */
export interface BootstrapOptions {
  readonly nodeName: string;
  readonly downloads: readonly Download[];
  /** The node's files, written with their modes and owners (never secrets: NodeFiles hold none). */
  readonly files: readonly ScriptFile[];
}

const INSTALL_STEPS: Readonly<Record<Download["name"], string>> = {
  containerd: 'tar -xzf "${artifact}" -C /usr/local bin/',
  runc: 'install -m 0755 "${artifact}" /usr/local/sbin/runc',
  "cni-plugins": 'install -d -m 0755 /opt/cni/bin\n  tar -xzf "${artifact}" -C /opt/cni/bin',
  kubelet: 'install -m 0755 "${artifact}" /usr/local/bin/kubelet',
  kubectl: 'install -m 0755 "${artifact}" /usr/local/bin/kubectl',
};

function urlFor(download: Download): string {
  // `{arch}` becomes the shell variable; every other character is fixed by kubeforge.
  return `"${download.url.replace("{arch}", "${ARCH}")}"`;
}

function digestCase(digests: Readonly<Record<Arch, string>>): string {
  return ARCHES.map((a) => `    ${a}) sha=${shellQuote(digests[a])} ;;`).join("\n");
}

/**
 * The idempotent bootstrap script of one node (`set -euo pipefail`): installs containerd, runc, the
 * CNI plugins, kubelet and kubectl at their pinned versions after verifying each download against
 * its pinned SHA-256, writes the node's files (only when their bytes differ), merges the managed
 * hosts block into /etc/hosts between markers, loads kernel modules, applies sysctls, turns swap
 * off, and enables containerd and the kubelet, restarting either only when its files changed.
 * Running it twice changes nothing the second time.
 */
export function bootstrapScript(o: BootstrapOptions): string {
  const out: string[] = [];
  out.push(
    "#!/usr/bin/env bash",
    `# kubeforge bootstrap for node ${o.nodeName}. Generated: re-run \`kubeforge synth\` instead of editing.`,
    "# Idempotent: every step checks the host first, so running it again is safe.",
    "set -euo pipefail",
    "umask 022",
    "",
  );
  out.push(
    'if [[ "$(id -u)" -ne 0 ]]; then',
    '  echo "kubeforge-bootstrap: must run as root" >&2',
    "  exit 1",
    "fi",
    "for tool in base64 cmp curl install modprobe sha256sum sysctl systemctl tar; do",
    '  command -v "${tool}" >/dev/null || { echo "kubeforge-bootstrap: ${tool} is required" >&2; exit 1; }',
    "done",
    "",
    'case "$(uname -m)" in',
    "  x86_64) ARCH=amd64 ;;",
    "  aarch64 | arm64) ARCH=arm64 ;;",
    '  *) echo "kubeforge-bootstrap: unsupported architecture $(uname -m)" >&2; exit 1 ;;',
    "esac",
    "",
    'WORK_DIR="$(mktemp -d)"',
    "trap 'rm -rf \"${WORK_DIR}\"' EXIT",
    "CHANGED=()",
    "",
    "# fetch NAME URL SHA256: downloads into WORK_DIR and verifies the pinned digest.",
    "fetch() {",
    '  local name="$1" url="$2" sha="$3"',
    '  curl -fsSL --proto "=https" --tlsv1.2 --retry 5 --retry-delay 2 -o "${WORK_DIR}/${name}" "${url}"',
    '  if ! printf "%s  %s\\n" "${sha}" "${WORK_DIR}/${name}" | sha256sum --check --strict --quiet -; then',
    '    echo "kubeforge-bootstrap: checksum mismatch for ${url}" >&2',
    "    exit 1",
    "  fi",
    "}",
    "",
    "# installed NAME SHA256: true when this exact artifact was installed before.",
    "installed() {",
    `  [[ -f "${INSTALLED_DIR}/$1" ]] && [[ "$(cat "${INSTALLED_DIR}/$1")" == "$2" ]]`,
    "}",
    "",
    "# record NAME SHA256",
    "record() {",
    `  install -d -m 0755 ${shellQuote(INSTALLED_DIR)}`,
    `  printf "%s\\n" "$2" >"${INSTALLED_DIR}/$1"`,
    "}",
    "",
    "# write_file PATH MODE OWNER GROUP BASE64: writes the file when its bytes differ, then fixes mode and owner.",
    "write_file() {",
    '  local path="$1" mode="$2" owner="$3" group="$4" tmp',
    '  tmp="$(mktemp "${WORK_DIR}/file.XXXXXX")"',
    '  printf "%s" "$5" | base64 -d >"${tmp}"',
    '  if [[ -f "${path}" ]] && cmp -s "${tmp}" "${path}"; then',
    '    chmod "${mode}" "${path}"',
    '    chown "${owner}:${group}" "${path}"',
    "  else",
    '    install -D -m "${mode}" -o "${owner}" -g "${group}" "${tmp}" "${path}"',
    '    CHANGED+=("${path}")',
    "  fi",
    "}",
    "",
    "# changed PREFIX: true when a written file's path starts with PREFIX.",
    "changed() {",
    "  local path",
    '  for path in "${CHANGED[@]}"; do',
    '    [[ "${path}" == "$1"* ]] && return 0',
    "  done",
    "  return 1",
    "}",
    "",
  );

  for (const d of o.downloads) {
    const digests = d.sha256;
    const fn = `install_${d.name.replace(/-/g, "_")}`;
    out.push(
      `# ${d.name} ${d.version}`,
      `${fn}() {`,
      "  local sha",
      '  case "${ARCH}" in',
      digestCase(digests),
      "  esac",
      `  if installed ${shellQuote(d.name)} "\${sha}"; then return 0; fi`,
      `  fetch ${shellQuote(d.name)} ${urlFor(d)} "\${sha}"`,
      `  local artifact="\${WORK_DIR}/${d.name}"`,
      `  ${INSTALL_STEPS[d.name]}`,
      `  record ${shellQuote(d.name)} "\${sha}"`,
      "}",
      fn,
      "",
    );
  }

  out.push("# Node files (configuration only: keys and certificates are delivered separately).");
  for (const f of [...o.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const [user = "root", group = user] = f.owner.split(":");
    const b64 = Buffer.from(f.content, "utf8").toString("base64");
    out.push(
      `write_file ${shellQuote(f.path)} ${formatMode(f.mode)} ${shellQuote(user)} ${shellQuote(group)} ${shellQuote(b64)}`,
    );
  }
  out.push(
    "",
    "# Merge the managed block into /etc/hosts, keeping every other line of the host's file.",
    `hosts_tmp="$(mktemp "\${WORK_DIR}/hosts.XXXXXX")"`,
    "if [[ -f /etc/hosts ]]; then",
    `  sed ${shellQuote(`/^${HOSTS_BEGIN_MARKER}$/,/^${HOSTS_END_MARKER}$/d`)} /etc/hosts >"\${hosts_tmp}"`,
    "fi",
    `cat ${shellQuote(KUBEFORGE_HOSTS_FILE)} >>"\${hosts_tmp}"`,
    'if ! cmp -s "${hosts_tmp}" /etc/hosts; then',
    '  cat "${hosts_tmp}" >/etc/hosts',
    "fi",
    "",
    "# Kernel modules now (and at boot through modules-load.d), then the sysctl profile.",
    "while read -r module; do",
    '  if [[ -n "${module}" ]]; then modprobe "${module}"; fi',
    `done <${shellQuote(MODULES_LOAD_FILE)}`,
    `sysctl -q -p ${shellQuote(SYSCTL_FILE)}`,
    "",
    "# The kubelet refuses to start with swap on (failSwapOn).",
    "swapoff -a",
    "if grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' /etc/fstab; then",
    "  sed -i -E 's|^([^#].*[[:space:]]swap[[:space:]].*)$|# disabled by kubeforge: \\1|' /etc/fstab",
    "fi",
    "",
    "systemctl daemon-reload",
    "systemctl enable containerd.service kubelet.service",
    "if changed /etc/containerd/ || changed /etc/systemd/system/containerd.service; then",
    "  systemctl restart containerd.service",
    "else",
    "  systemctl start containerd.service",
    "fi",
    "if changed /var/lib/kubelet/ || changed /etc/systemd/system/kubelet.service || changed /etc/kubernetes/; then",
    "  systemctl restart kubelet.service",
    "else",
    "  systemctl start kubelet.service",
    "fi",
    `echo "kubeforge-bootstrap: node ${o.nodeName} is configured (\${#CHANGED[@]} file(s) changed)"`,
    "",
  );
  return out.join("\n");
}

/** Props of {@link BootstrapScript}. */
export interface BootstrapScriptProps {
  readonly nodeName: string;
  readonly downloads: readonly Download[];
  /** Node files the script must not carry (itself, the cloud-init user-data). */
  readonly exclude?: (file: NodeFile) => boolean;
}

/** The node files of the HostNode above `scope` a generated artifact should carry. */
export function carriedFiles(scope: Construct, exclude: (file: NodeFile) => boolean): ScriptFile[] {
  const host = HostNode.of(scope);
  if (!host) throw new Error(`internal: ${scope.node.path} is not inside a HostNode`);
  return host.files
    .filter((f) => !exclude(f))
    .map((f) => ({ path: f.path, mode: f.mode, owner: f.owner, content: f.render() }));
}

/**
 * The bootstrap script as a node file (0700). Rendered at synthesis time, so it carries every file
 * of its node, including those added after it was constructed.
 */
export class BootstrapScript extends NodeFile {
  private readonly options: BootstrapScriptProps;

  constructor(scope: Construct, id: string, props: BootstrapScriptProps) {
    super(scope, id, { path: BOOTSTRAP_SCRIPT, mode: 0o700, content: { kind: "text", text: "" } });
    this.options = props;
  }

  /** The files this script writes. */
  get carried(): ScriptFile[] {
    const exclude = this.options.exclude ?? (() => false);
    return carriedFiles(this, (f) => f === this || exclude(f));
  }

  protected override renderContent(): string {
    return bootstrapScript({
      nodeName: this.options.nodeName,
      downloads: this.options.downloads,
      files: this.carried,
    });
  }
}
