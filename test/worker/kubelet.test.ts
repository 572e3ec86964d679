import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { paths } from "../../lib/paths";
import { STRONG_CIPHER_SUITES } from "../../lib/security/tls";
import { ClusterModel } from "../../lib/spec/model";
import { resolveClusterSpec } from "../../lib/spec/validate";
import {
  KUBELET_CONFIG,
  KUBELET_DROP_IN,
  kubeletConfiguration,
  kubeletMaySetLabel,
} from "../../lib/worker/kubelet";
import { fileOf, nodeOf, render } from "../util";
import { pinnedSpec } from "./fixtures";

/**
 * Every field of kubelet.config.k8s.io/v1beta1 KubeletConfiguration kubeforge may set, as declared in
 * kubernetes/kubernetes staging/src/k8s.io/kubelet/config/v1beta1/types.go (checked at the 1.36
 * development branch; each field below also exists in 1.33). Fields deprecated there
 * (`streamingConnectionIdleTimeout` since 1.34, kubernetes/kubernetes#131992) are listed separately.
 */
const KUBELET_V1BETA1_FIELDS = new Set([
  "apiVersion",
  "kind",
  "authentication",
  "authorization",
  "cgroupDriver",
  "clusterDNS",
  "clusterDomain",
  "containerRuntimeEndpoint",
  "eventRecordQPS",
  "evictionHard",
  "failSwapOn",
  "healthzBindAddress",
  "healthzPort",
  "kubeReserved",
  "makeIPTablesUtilChains",
  "maxPods",
  "protectKernelDefaults",
  "readOnlyPort",
  "registerWithTaints",
  "rotateCertificates",
  "serverTLSBootstrap",
  "staticPodPath",
  "systemReserved",
  "tlsCertFile",
  "tlsCipherSuites",
  "tlsMinVersion",
  "tlsPrivateKeyFile",
]);
const DEPRECATED_SINCE_1_34 = new Set(["streamingConnectionIdleTimeout"]);

function kubeletOf(spec: ReturnType<typeof pinnedSpec>, node: string): Record<string, unknown> {
  const { rendered } = render(spec);
  return parse(fileOf(rendered, node, KUBELET_CONFIG)) as Record<string, unknown>;
}

describe("kubelet configuration", () => {
  it("hardens a control-plane node and runs its static pods", () => {
    const config = kubeletOf(pinnedSpec(), "cp-1");
    expect(config.authentication).toStrictEqual({
      anonymous: { enabled: false },
      webhook: { enabled: true, cacheTTL: "2m0s" },
      x509: { clientCAFile: paths.caCert },
    });
    expect((config.authorization as { mode: string }).mode).toBe("Webhook");
    expect(config.readOnlyPort).toBe(0);
    expect(config.protectKernelDefaults).toBe(true);
    expect(config.rotateCertificates).toBe(true);
    expect(config.tlsCertFile).toBe(paths.kubeletServingCert);
    expect(config.tlsPrivateKeyFile).toBe(paths.kubeletServingKey);
    expect(config.serverTLSBootstrap).toBeUndefined();
    expect(config.tlsCipherSuites).toStrictEqual([...STRONG_CIPHER_SUITES]);
    expect(config.tlsMinVersion).toBe("VersionTLS12");
    expect(config.cgroupDriver).toBe("systemd");
    expect(config.clusterDNS).toStrictEqual(["10.96.0.10"]);
    expect(config.clusterDomain).toBe("cluster.local");
    expect(config.staticPodPath).toBe("/etc/kubernetes/manifests");
    expect(config.healthzBindAddress).toBe("127.0.0.1");
    expect(config.makeIPTablesUtilChains).toBe(true);
    expect(config.containerRuntimeEndpoint).toBe("unix:///run/containerd/containerd.sock");
    expect(config.registerWithTaints).toStrictEqual([
      { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
    ]);
  });

  it("gives a worker no static pods, no control-plane taint, and the spec's taints", () => {
    const spec = pinnedSpec((s) => {
      const w = s.nodes[3];
      if (!w) throw new Error("fixture");
      w.taints = [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }];
    });
    const config = kubeletOf(spec, "worker-1");
    expect(config.staticPodPath).toBeUndefined();
    expect(config.registerWithTaints).toStrictEqual([
      { key: "dedicated", value: "gpu", effect: "NoSchedule" },
    ]);
    expect(config.clusterDNS).toStrictEqual(["10.96.0.10"]);
    expect(config.maxPods).toBe(110);
    expect(config.evictionHard).toMatchObject({ "memory.available": "200Mi" });
    expect(kubeletOf(pinnedSpec(), "worker-2").registerWithTaints).toBeUndefined();
  });

  it("requests the serving certificate by CSR when serverTLSBootstrap is set", () => {
    const config = kubeletOf(
      pinnedSpec((s) => {
        s.kubelet = { serverTLSBootstrap: true };
      }),
      "worker-1",
    );
    expect(config.serverTLSBootstrap).toBe(true);
    expect(config.tlsCertFile).toBeUndefined();
  });

  it("sets only fields of KubeletConfiguration v1beta1, and deprecated ones only where not deprecated", () => {
    for (const version of ["1.33.8", "1.34.4", "1.35.1"]) {
      const model = new ClusterModel(resolveClusterSpec(pinnedSpec((s) => (s.kubernetesVersion = version))));
      for (const node of model.nodes) {
        const keys = Object.keys(kubeletConfiguration(model, node));
        const minor = Number(version.split(".")[1]);
        for (const key of keys) {
          const allowed = KUBELET_V1BETA1_FIELDS.has(key) || (minor < 34 && DEPRECATED_SINCE_1_34.has(key));
          expect(allowed, `${key} on ${version}`).toBe(true);
        }
        expect(keys.includes("streamingConnectionIdleTimeout")).toBe(minor < 34);
      }
    }
  });

  it("passes only flags without a config field, and reserved labels go to the API", () => {
    const spec = pinnedSpec((s) => {
      const w = s.nodes[3];
      if (!w) throw new Error("fixture");
      w.labels = { "topology.kubernetes.io/zone": "a", team: "payments", "node-role.kubernetes.io/gpu": "" };
      s.controlPlane = { ...s.controlPlane, cloudProvider: { name: "example", image: "example/ccm:v1" } };
    });
    const { rendered, cluster } = render(spec);
    const dropIn = fileOf(rendered, "worker-1", KUBELET_DROP_IN);
    const flags = [...dropIn.matchAll(/--([a-z-]+)=(\S+)/g)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(flags)).toStrictEqual({
      "cloud-provider": "external",
      config: KUBELET_CONFIG,
      "hostname-override": "worker-1",
      kubeconfig: "/etc/kubernetes/kubelet.conf",
      "node-ip": "192.0.2.21",
      "node-labels": "team=payments,topology.kubernetes.io/zone=a",
    });
    const host = cluster.hosts.get("worker-1");
    const runtime = host?.node.tryFindChild("runtime") as unknown as {
      kubelet: { apiLabels: Record<string, string> };
    };
    expect(runtime.kubelet.apiLabels).toStrictEqual({
      "node-role.kubernetes.io/gpu": "",
      "node-role.kubernetes.io/worker": "",
    });
  });

  it("lets the kubelet set only labels NodeRestriction allows", () => {
    expect(kubeletMaySetLabel("team")).toBe(true);
    expect(kubeletMaySetLabel("example.com/team")).toBe(true);
    expect(kubeletMaySetLabel("node.kubernetes.io/pool")).toBe(true);
    expect(kubeletMaySetLabel("topology.kubernetes.io/zone")).toBe(true);
    expect(kubeletMaySetLabel("node-role.kubernetes.io/worker")).toBe(false);
    expect(kubeletMaySetLabel("node-restriction.kubernetes.io/x")).toBe(false);
    expect(kubeletMaySetLabel("k8s.io/x")).toBe(false);
  });

  it("writes the kubelet's files 0600 (CIS 4.1.1, 4.1.5, 4.1.9)", () => {
    const { rendered } = render(pinnedSpec());
    for (const node of rendered.nodes) {
      for (const path of [KUBELET_CONFIG, KUBELET_DROP_IN, "/etc/systemd/system/kubelet.service"]) {
        expect(node.files.find((f) => f.path === path)?.mode, `${node.name} ${path}`).toBe(0o600);
      }
    }
  });

  it("points every node's clusterDNS at the 10th service address for any valid service CIDR", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 12, max: 28 }),
        fc.integer({ min: 0, max: 2 ** 20 - 1 }),
        (prefix, seed) => {
          // A block inside 10.96.0.0/11 .. keeps clear of the nodes (192.0.2.0/24) and the pods (10.244.0.0/16).
          const size = 2 ** (32 - prefix);
          const base = (10 << 24) + (64 << 16);
          const network = (base + ((seed * size) % 2 ** 21)) >>> 0;
          const text = [network >>> 24, (network >>> 16) & 255, (network >>> 8) & 255, network & 255].join(
            ".",
          );
          const spec = resolveClusterSpec(
            pinnedSpec((s) => {
              s.networking = { serviceCIDR: `${text}/${prefix}` };
            }),
          );
          const model = new ClusterModel(spec);
          const tenth = network + 10;
          const expected = [tenth >>> 24, (tenth >>> 16) & 255, (tenth >>> 8) & 255, tenth & 255].join(".");
          for (const node of model.nodes) {
            expect(kubeletConfiguration(model, node).clusterDNS).toStrictEqual([expected]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("renders the same bytes twice (deterministic)", () => {
    const a = render(pinnedSpec()).rendered;
    const b = render(pinnedSpec()).rendered;
    expect(nodeOf(a, "cp-2").files).toStrictEqual(nodeOf(b, "cp-2").files);
  });
});
