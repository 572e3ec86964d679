import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { SpecIssue } from "../../lib/errors";
import { KUBE_PROXY_METRICS_ADDRESS } from "../../lib/networking/kube-proxy";
import { NetworkingSchema } from "../../lib/spec/schema";
import { validateClusterSpec } from "../../lib/spec/validate";
import { checkAddons, PROXY_MODE_SUPPORT } from "../../lib/spec/validate-addons";
import { SUPPORTED_MINORS } from "../../lib/spec/versions";
import { validateObjects } from "../schema-validate";
import { render } from "../util";
import { addonSpec, clusterFile, configData, find, objectsOf } from "./fixtures";

describe("kube-proxy", () => {
  it("renders only objects that pass the official schemas", () => {
    const objects = objectsOf(addonSpec(), "kube-proxy.yaml");
    expect(validateObjects(objects)).toBe(4);
    expect(objects.map((o) => o.kind).sort()).toStrictEqual([
      "ClusterRoleBinding",
      "ConfigMap",
      "DaemonSet",
      "ServiceAccount",
    ]);
  });

  it("configures the pod CIDR, the mode and loopback-only metrics", () => {
    // GIVEN a custom pod network and the nftables mode
    const objects = objectsOf(
      addonSpec((s) => {
        s.networking = { podCIDR: "10.200.0.0/16", kubeProxy: { mode: "nftables" } };
      }),
      "kube-proxy.yaml",
    );
    // THEN the KubeProxyConfiguration carries them
    const config = configData(find(objects, "ConfigMap", "kube-proxy"), "config.conf");
    expect(config.apiVersion).toBe("kubeproxy.config.k8s.io/v1alpha1");
    expect(config.kind).toBe("KubeProxyConfiguration");
    expect(config.clusterCIDR).toBe("10.200.0.0/16");
    expect(config.mode).toBe("nftables");
    expect(config.nftables).toBeDefined();
    expect(config.iptables).toBeUndefined();
    expect(config.metricsBindAddress).toBe(KUBE_PROXY_METRICS_ADDRESS);
    expect(String(config.metricsBindAddress).startsWith("127.0.0.1:")).toBe(true);
    expect(config.enableProfiling).toBe(false);
    expect(config.clientConnection).toStrictEqual({ kubeconfig: "/var/lib/kube-proxy/kubeconfig.conf" });
    expect(config.conntrack).toMatchObject({ maxPerCore: 32768, min: 131072 });
  });

  it("authenticates with the pod's service account against the API endpoint", () => {
    const { cluster, rendered } = render(addonSpec());
    const objects = clusterFile(rendered, "kube-proxy.yaml") ?? [];
    const kubeconfig = configData(find(objects, "ConfigMap", "kube-proxy"), "kubeconfig.conf") as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
    };
    expect(kubeconfig.clusters[0]?.cluster.server).toBe(cluster.model.endpoint.url);
    expect(kubeconfig.clusters[0]?.cluster["certificate-authority"]).toBe(
      "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
    );
    expect(kubeconfig.users[0]?.user).toStrictEqual({
      tokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token",
    });
  });

  it("runs on every node with the host network and only the privileges it needs", () => {
    const { cluster, rendered } = render(addonSpec());
    const objects = clusterFile(rendered, "kube-proxy.yaml") ?? [];
    const pod = find(objects, "DaemonSet", "kube-proxy").spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.priorityClassName).toBe("system-node-critical");
    expect(pod.serviceAccountName).toBe("kube-proxy");
    expect(pod.tolerations).toContainEqual({ operator: "Exists" });
    const [init] = pod.initContainers;
    const [main] = pod.containers;
    expect(init.securityContext.privileged).toBe(true);
    expect(init.command).toContain("--init-only");
    expect(main.command).not.toContain("--init-only");
    expect(main.securityContext.privileged).toBe(false);
    expect(main.securityContext.capabilities.add).toStrictEqual(["NET_ADMIN", "SYS_RESOURCE"]);
    expect(main.image).toBe(cluster.model.images.kubeProxy);
    expect(init.image).toBe(cluster.model.images.kubeProxy);
    const mounts = Object.fromEntries(main.volumeMounts.map((m: { mountPath: string }) => [m.mountPath, m]));
    expect(mounts["/run/xtables.lock"]?.readOnly).toBe(false);
    expect(mounts["/lib/modules"]?.readOnly).toBe(true);
    const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
    expect(volumes["xtables-lock"].hostPath).toStrictEqual({
      path: "/run/xtables.lock",
      type: "FileOrCreate",
    });
  });

  it("binds its service account to system:node-proxier", () => {
    const binding = find(
      objectsOf(addonSpec(), "kube-proxy.yaml"),
      "ClusterRoleBinding",
      "kubeforge:node-proxier",
    );
    expect(binding.roleRef).toStrictEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "system:node-proxier",
    });
    expect(binding.subjects).toStrictEqual([
      { kind: "ServiceAccount", name: "kube-proxy", namespace: "kube-system" },
    ]);
  });

  it("writes the config document parseable and without metadata", () => {
    const configMap = find(objectsOf(addonSpec(), "kube-proxy.yaml"), "ConfigMap", "kube-proxy");
    const text = configMap.data?.["config.conf"] ?? "";
    expect((parse(text) as Record<string, unknown>).metadata).toBeUndefined();
  });
});

describe("kube-proxy mode validation", () => {
  const codes = (raw: unknown) => validateClusterSpec(raw).issues.map((i) => i.code);

  it("refuses ipvs where it is deprecated (1.35 and newer)", () => {
    const spec = addonSpec((s) => {
      s.kubernetesVersion = "1.35.1";
      s.networking = { kubeProxy: { mode: "ipvs" } };
    });
    const issues = validateClusterSpec(spec).issues;
    expect(issues.map((i) => i.code)).toContain("PROXY_MODE_DEPRECATED");
    expect(issues.find((i) => i.code === "PROXY_MODE_DEPRECATED")?.path).toBe("networking.kubeProxy.mode");
  });

  it("accepts ipvs before its deprecation and nftables and iptables everywhere supported", () => {
    const ipvsOn134 = addonSpec((s) => {
      s.kubernetesVersion = "1.34.4";
      s.networking = { kubeProxy: { mode: "ipvs" } };
    });
    expect(codes(ipvsOn134)).toStrictEqual([]);
    for (const mode of ["iptables", "nftables"] as const) {
      expect(codes(addonSpec((s) => (s.networking = { kubeProxy: { mode } })))).toStrictEqual([]);
    }
  });

  it("refuses nftables on a minor older than its first supported one", () => {
    // No supported Kubernetes minor predates nftables, so the rule is checked on the function.
    const networking = NetworkingSchema.parse({ kubeProxy: { mode: "nftables" } });
    const issues: SpecIssue[] = [];
    checkAddons({ networking, minor: "1.30" }, (i) => issues.push(i));
    expect(issues.map((i) => i.code)).toStrictEqual(["PROXY_MODE_UNSUPPORTED"]);
    for (const minor of [PROXY_MODE_SUPPORT.nftables.since ?? "", ...SUPPORTED_MINORS]) {
      const none: SpecIssue[] = [];
      checkAddons({ networking, minor }, (i) => none.push(i));
      expect(none).toStrictEqual([]);
    }
  });
});
