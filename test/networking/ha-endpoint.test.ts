import { spawnSync } from "node:child_process";
import { Pod } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  HAPROXY_CONFIG,
  KEEPALIVED_CHECK,
  KEEPALIVED_CONFIG,
  KUBE_VIP_IMAGE,
  KUBE_VIP_KUBECONFIG,
  virtualRouterId,
} from "../../lib/networking/ha-endpoint";
import { paths } from "../../lib/paths";
import { fileOf, nodeOf, render, singleNodeSpec } from "../util";
import { pinnedSpec } from "../worker/fixtures";

const KUBE_VIP = "/etc/kubernetes/manifests/kube-vip.yaml";

function envOf(manifest: unknown): Record<string, string> {
  const c = (manifest as { spec: { containers: { env: { name: string; value: string }[] }[] } }).spec
    .containers[0];
  return Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]));
}

describe("HA endpoint", () => {
  it("runs kube-vip on every control-plane node and on no worker (default)", () => {
    const { rendered } = render(pinnedSpec());
    for (const node of rendered.nodes) {
      const has = node.files.some((f) => f.path === KUBE_VIP);
      expect(has, node.name).toBe(node.name.startsWith("cp-"));
    }
    const manifest = parse(fileOf(rendered, "cp-2", KUBE_VIP));
    expect(() => new Pod(manifest).validate()).not.toThrow();
    expect(manifest.spec.containers[0].image).toBe(KUBE_VIP_IMAGE);
    expect(KUBE_VIP_IMAGE).toMatch(/:v\d+\.\d+\.\d+$/);
    const env = envOf(manifest);
    expect(env).toMatchObject({
      address: "192.0.2.10",
      vip_arp: "true",
      vip_interface: "eth0",
      cp_enable: "true",
      vip_leaderelection: "true",
      port: "6443",
    });
    expect(manifest.spec.volumes[0].hostPath.path).toBe(KUBE_VIP_KUBECONFIG);
    expect(manifest.spec.containers[0].volumeMounts[0].mountPath).toBe(paths.adminKubeconfig);
    const kubeconfig = parse(fileOf(rendered, "cp-2", KUBE_VIP_KUBECONFIG));
    expect(kubeconfig.clusters[0].cluster.server).toBe("https://192.0.2.12:6443");
    expect(kubeconfig.users[0].user["client-certificate"]).toBe(paths.adminClientCert);
    expect(nodeOf(rendered, "cp-2").secretPaths).toContain(paths.adminClientKey);
  });

  it("runs haproxy and keepalived with their configuration when chosen", () => {
    const { rendered } = render(
      pinnedSpec((s) => {
        s.controlPlane = {
          endpoint: { host: "192.0.2.10", port: 8443 },
          loadBalancer: { provider: "haproxy-keepalived", interface: "ens3" },
        };
      }),
    );
    const cp1 = nodeOf(rendered, "cp-1").files.map((f) => f.path);
    expect(cp1).toEqual(
      expect.arrayContaining([
        "/etc/kubernetes/manifests/haproxy.yaml",
        "/etc/kubernetes/manifests/keepalived.yaml",
        HAPROXY_CONFIG,
        KEEPALIVED_CONFIG,
        KEEPALIVED_CHECK,
      ]),
    );
    expect(cp1).not.toContain(KUBE_VIP);
    expect(nodeOf(rendered, "worker-1").files.map((f) => f.path)).not.toContain(HAPROXY_CONFIG);
    for (const pod of ["haproxy", "keepalived"]) {
      expect(() =>
        new Pod(parse(fileOf(rendered, "cp-3", `/etc/kubernetes/manifests/${pod}.yaml`))).validate(),
      ).not.toThrow();
    }
    const haproxy = fileOf(rendered, "cp-1", HAPROXY_CONFIG);
    expect(haproxy).toContain("bind *:8443");
    for (const a of ["192.0.2.11", "192.0.2.12", "192.0.2.13"]) expect(haproxy).toContain(`${a}:6443 check`);
    const k1 = fileOf(rendered, "cp-1", KEEPALIVED_CONFIG);
    const k2 = fileOf(rendered, "cp-2", KEEPALIVED_CONFIG);
    expect(k1).toContain("interface ens3");
    expect(k1).toContain("192.0.2.10/32");
    expect(k1).toContain(`virtual_router_id ${virtualRouterId("kubeforge")}`);
    expect(k1).toContain("priority 100");
    expect(k2).toContain("priority 99");
    const check = fileOf(rendered, "cp-1", KEEPALIVED_CHECK);
    const sc = spawnSync("shellcheck", ["-s", "sh", "-"], {
      input: check,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(`${sc.stdout}${sc.stderr}`).toBe("");
    expect(sc.status).toBe(0);
  });

  it("adds nothing for an external load balancer or a single control-plane node", () => {
    const external = render(
      pinnedSpec((s) => {
        s.controlPlane = {
          endpoint: { host: "api.example.internal", port: 6443 },
          loadBalancer: { provider: "external" },
        };
      }),
    ).rendered;
    const solo = render({ ...singleNodeSpec(), kubernetesVersion: "1.35.1" }).rendered;
    for (const rendered of [external, solo]) {
      for (const node of rendered.nodes) {
        const managed = node.files.filter((f) => /kube-vip|haproxy|keepalived/.test(f.path));
        expect(managed, node.name).toStrictEqual([]);
      }
    }
  });

  it("derives a stable VRRP router id in 1..255", () => {
    expect(virtualRouterId("kubeforge")).toBe(virtualRouterId("kubeforge"));
    for (const name of ["a", "b", "prod", "staging"]) {
      const id = virtualRouterId(name);
      expect(id).toBeGreaterThanOrEqual(1);
      expect(id).toBeLessThanOrEqual(255);
    }
  });
});
