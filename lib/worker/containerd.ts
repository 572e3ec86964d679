import { Construct } from "constructs";
import { NodeFile } from "../host/node-file";
import type { ClusterModel } from "../spec/model";

/** containerd's configuration file. */
export const CONTAINERD_CONFIG = "/etc/containerd/config.toml";
/** Registry host configuration directory (`config_path`): one `<host>/hosts.toml` per registry. */
export const CONTAINERD_CERTS_DIR = "/etc/containerd/certs.d";
/** The CRI socket the kubelet talks to. */
export const CONTAINERD_SOCKET = "unix:///run/containerd/containerd.sock";
/** The unit for the containerd installed from the release tarball into /usr/local/bin. */
export const CONTAINERD_UNIT = "/etc/systemd/system/containerd.service";

/** A TOML basic string. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * containerd 2.x configuration (config version 3): the CRI runtime plugin runs runc with the
 * systemd cgroup driver (matching the kubelet's `cgroupDriver`), the images plugin pins the
 * Kubernetes version's pause image as the sandbox image and reads registry hosts from
 * `config_path` (the non-deprecated replacement of the `registry.mirrors` tables).
 * @see https://github.com/containerd/containerd/blob/main/docs/cri/config.md
 */
export function containerdConfig(model: ClusterModel): string {
  return [
    "# Managed by kubeforge (containerd 2.x, config version 3).",
    "version = 3",
    "",
    "[plugins.'io.containerd.cri.v1.images'.pinned_images]",
    `  sandbox = ${tomlString(model.images.pause)}`,
    "",
    "[plugins.'io.containerd.cri.v1.images'.registry]",
    `  config_path = ${tomlString(CONTAINERD_CERTS_DIR)}`,
    "",
    "[plugins.'io.containerd.cri.v1.runtime'.cni]",
    `  bin_dirs = [${tomlString("/opt/cni/bin")}]`,
    `  conf_dir = ${tomlString("/etc/cni/net.d")}`,
    "",
    "[plugins.'io.containerd.cri.v1.runtime'.containerd]",
    `  default_runtime_name = ${tomlString("runc")}`,
    "",
    "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]",
    `  runtime_type = ${tomlString("io.containerd.runc.v2")}`,
    "",
    "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]",
    "  SystemdCgroup = true",
    "",
  ].join("\n");
}

/** The upstream registry endpoint of a registry host (Docker Hub's differs from its name). */
export function upstreamServer(registryHost: string): string {
  return registryHost === "docker.io" ? "https://registry-1.docker.io" : `https://${registryHost}`;
}

/**
 * `hosts.toml` of one registry: the mirrors in order, pull and resolve only (never push), then the
 * upstream as `server`, the fallback containerd uses when every mirror fails.
 * @see https://github.com/containerd/containerd/blob/main/docs/hosts.md
 */
export function registryHostsToml(registryHost: string, mirrors: readonly string[]): string {
  const lines = ["# Managed by kubeforge.", `server = ${tomlString(upstreamServer(registryHost))}`, ""];
  for (const mirror of mirrors) {
    lines.push(`[host.${tomlString(mirror)}]`, '  capabilities = ["pull", "resolve"]', "");
  }
  return lines.join("\n");
}

/** The systemd unit of containerd, as the containerd project ships it. */
export function containerdUnit(): string {
  return [
    "[Unit]",
    "Description=containerd container runtime",
    "Documentation=https://containerd.io",
    "After=network.target local-fs.target dbus.service",
    "",
    "[Service]",
    "ExecStartPre=-/sbin/modprobe overlay",
    "ExecStart=/usr/local/bin/containerd",
    "Type=notify",
    "Delegate=yes",
    "KillMode=process",
    "Restart=always",
    "RestartSec=5",
    "LimitNPROC=infinity",
    "LimitCORE=infinity",
    "TasksMax=infinity",
    "OOMScoreAdjust=-999",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** Props of {@link Containerd}. */
export interface ContainerdProps {
  /** The derived cluster model. */
  readonly model: ClusterModel;
}

/**
 * containerd on one node: config.toml, one hosts.toml per mirrored registry, and the unit.
 * @see https://kubernetes.io/docs/setup/production-environment/container-runtimes/#containerd
 */
export class Containerd extends Construct {
  readonly config: string;

  constructor(scope: Construct, id: string, props: ContainerdProps) {
    super(scope, id);
    const { model } = props;
    this.config = containerdConfig(model);
    NodeFile.text(this, "config", CONTAINERD_CONFIG, this.config, 0o644);
    NodeFile.text(this, "unit", CONTAINERD_UNIT, containerdUnit(), 0o644);
    const mirrors = model.spec.containerd.registryMirrors;
    for (const host of Object.keys(mirrors).sort()) {
      NodeFile.text(
        this,
        `hosts-${host}`,
        `${CONTAINERD_CERTS_DIR}/${host}/hosts.toml`,
        registryHostsToml(host, mirrors[host] ?? []),
        0o644,
      );
    }
  }
}
