import { describe, expect, it } from "vitest";
import {
  DEFAULT_SYSCTLS,
  HOSTS_BEGIN_MARKER,
  HOSTS_END_MARKER,
  KUBEFORGE_HOSTS_FILE,
  KUBELET_KERNEL_DEFAULTS,
  kernelModules,
  MODULES_LOAD_FILE,
  SYSCTL_FILE,
} from "../../lib/networking/host-networking";
import { resolveClusterSpec } from "../../lib/spec/validate";
import { fileOf, render, singleNodeSpec } from "../util";
import { pinnedSpec } from "../worker/fixtures";

function sysctlsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-z0-9_.-]+) = (.+)$/.exec(line);
    if (m?.[1]) out[m[1]] = m[2] ?? "";
  }
  return out;
}

describe("host networking", () => {
  it("sets forwarding, bridge netfilter, buffers, conntrack, inotify and the kubelet's protected values", () => {
    const { rendered } = render(pinnedSpec());
    const sysctls = sysctlsOf(fileOf(rendered, "worker-1", SYSCTL_FILE));
    for (const key of [
      "net.ipv4.ip_forward",
      "net.bridge.bridge-nf-call-iptables",
      "net.bridge.bridge-nf-call-ip6tables",
      "net.core.rmem_max",
      "net.core.wmem_max",
      "net.core.rmem_default",
      "net.core.wmem_default",
      "net.core.netdev_max_backlog",
      "net.core.somaxconn",
      "net.netfilter.nf_conntrack_max",
      "fs.inotify.max_user_watches",
      "fs.inotify.max_user_instances",
    ]) {
      expect(sysctls[key], key).toBe(String(DEFAULT_SYSCTLS[key]));
    }
    expect(sysctls["net.ipv4.ip_forward"]).toBe("1");
    for (const [key, value] of Object.entries(KUBELET_KERNEL_DEFAULTS))
      expect(sysctls[key], key).toBe(String(value));
    expect(KUBELET_KERNEL_DEFAULTS["kernel.keys.root_maxbytes"]).toBe(
      25 * (KUBELET_KERNEL_DEFAULTS["kernel.keys.root_maxkeys"] ?? 0),
    );
  });

  it("applies spec overrides and sorts keys", () => {
    const { rendered } = render(
      pinnedSpec(
        (s) => (s.networking = { sysctls: { "net.core.somaxconn": 65535, "net.ipv4.tcp_fin_timeout": 15 } }),
      ),
    );
    const text = fileOf(rendered, "cp-1", SYSCTL_FILE);
    const sysctls = sysctlsOf(text);
    expect(sysctls["net.core.somaxconn"]).toBe("65535");
    expect(sysctls["net.ipv4.tcp_fin_timeout"]).toBe("15");
    const keys = Object.keys(sysctls);
    expect(keys).toStrictEqual([...keys].sort());
  });

  it("loads the modules the proxy mode needs", () => {
    const mode = (m: "iptables" | "ipvs" | "nftables") =>
      kernelModules(
        resolveClusterSpec(
          pinnedSpec((s) => {
            s.kubernetesVersion = "1.34.4";
            s.networking = { kubeProxy: { mode: m } };
          }),
        ),
      );
    expect(mode("iptables")).toStrictEqual(["overlay", "br_netfilter", "nf_conntrack"]);
    expect(mode("ipvs")).toStrictEqual([
      "overlay",
      "br_netfilter",
      "nf_conntrack",
      "ip_vs",
      "ip_vs_rr",
      "ip_vs_wrr",
      "ip_vs_sh",
    ]);
    expect(mode("nftables")).toStrictEqual(["overlay", "br_netfilter", "nf_conntrack", "nf_tables"]);
    const { rendered } = render(pinnedSpec());
    expect(fileOf(rendered, "cp-2", MODULES_LOAD_FILE)).toBe("overlay\nbr_netfilter\nnf_conntrack\n");
  });

  it("lists the node itself, the control plane, the extra hosts and a single control plane's DNS endpoint", () => {
    const { rendered } = render(
      pinnedSpec((s) => {
        s.networking = { extraHosts: [{ address: "192.0.2.200", names: ["registry.example.internal"] }] };
      }),
    );
    const hosts = fileOf(rendered, "worker-3", KUBEFORGE_HOSTS_FILE);
    expect(hosts).toBe(
      [
        HOSTS_BEGIN_MARKER,
        "192.0.2.23 worker-3",
        "192.0.2.11 cp-1",
        "192.0.2.12 cp-2",
        "192.0.2.13 cp-3",
        "192.0.2.200 registry.example.internal",
        HOSTS_END_MARKER,
        "",
      ].join("\n"),
    );
    // Other workers are not listed: hosts files must not grow with the cluster.
    expect(hosts).not.toContain("worker-1");
    const solo = singleNodeSpec();
    solo.kubernetesVersion = "1.35.1";
    solo.controlPlane = { endpoint: { host: "api.solo.internal", port: 6443 } };
    const single = render(solo).rendered;
    expect(fileOf(single, "node-1", KUBEFORGE_HOSTS_FILE)).toContain("192.0.2.50 node-1 api.solo.internal\n");
  });
});
