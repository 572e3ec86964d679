import { App } from "cdk8s";
import { describe, expect, it } from "vitest";
import {
  CALICO_CRDS,
  CALICO_IMAGES,
  CALICO_VERSION,
  Calico,
  NETWORK_POLICY_API_CRDS,
} from "../../lib/networking/calico";
import { FLANNEL_IMAGES, FLANNEL_NAMESPACE } from "../../lib/networking/flannel";
import { ClusterModel } from "../../lib/spec/model";
import { resolveClusterSpec, validateClusterSpec } from "../../lib/spec/validate";
import { validateObjects } from "../schema-validate";
import { render } from "../util";
import { addonSpec, clusterFile, configData, find, type KubeObject, objectsOf } from "./fixtures";

type Env = { name: string; value?: string; valueFrom?: unknown };
const envOf = (container: { env: Env[] }) => new Map(container.env.map((e) => [e.name, e]));

function flannelSpec(mtu?: number, mode?: "iptables" | "nftables") {
  return addonSpec((s) => {
    s.networking = {
      podCIDR: "10.50.0.0/16",
      cni: { plugin: "flannel", enforceNetworkPolicy: false, ...(mtu ? { mtu } : {}) },
      ...(mode ? { kubeProxy: { mode } } : {}),
    };
  });
}

/** No rule grants everything, and nothing is bound to cluster-admin. */
function expectLeastPrivilege(objects: readonly KubeObject[]): void {
  for (const o of objects) {
    if (o.kind === "ClusterRole" || o.kind === "Role") {
      for (const rule of (o as unknown as { rules: Record<string, string[]>[] }).rules) {
        for (const field of ["apiGroups", "resources", "verbs"]) expect(rule[field]).not.toContain("*");
      }
    }
    if (o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding") {
      expect((o as unknown as { roleRef: { name: string } }).roleRef.name).not.toBe("cluster-admin");
    }
  }
}

describe("Calico (the default CNI)", () => {
  it("renders only objects that pass the official schemas, CRDs included", () => {
    const objects = objectsOf(addonSpec(), "cni.yaml");
    expect(validateObjects(objects)).toBe(objects.length);
    const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
    expect(crds).toHaveLength(CALICO_CRDS.length + NETWORK_POLICY_API_CRDS.length);
    expect(new Set(crds.map((c) => c.metadata.name)).size).toBe(crds.length);
    for (const crd of crds) {
      const [plural, group] = [crd.spec.names.plural, crd.spec.group];
      expect(crd.metadata.name).toBe(`${plural}.${group}`);
      expect(crd.spec.versions[0].schema.openAPIV3Schema).toStrictEqual({
        type: "object",
        "x-kubernetes-preserve-unknown-fields": true,
      });
    }
    // A CRD in a *.k8s.io group is refused by the API server without the approval annotation.
    const anp = find(objects, "CustomResourceDefinition", "adminnetworkpolicies.policy.networking.k8s.io");
    expect(Object.keys(anp.metadata.annotations ?? {})).toContain("api-approved.kubernetes.io");
  });

  it("has a CRD for every Calico resource calico-node and kube-controllers use", () => {
    const objects = objectsOf(addonSpec(), "cni.yaml");
    const crdPlurals = new Set(
      objects.filter((o) => o.kind === "CustomResourceDefinition").map((c) => c.spec.names.plural as string),
    );
    // Two names in upstream's rule predate the current resources and have no CRD.
    const legacy = new Set(["globalfelixconfigs", "globalbgpconfigs"]);
    for (const role of [
      "calico-node",
      "calico-kube-controllers",
      "calico-cni-plugin",
      "calico-tier-getter",
    ]) {
      const rules = (find(objects, "ClusterRole", role) as unknown as { rules: Record<string, string[]>[] })
        .rules;
      for (const rule of rules) {
        const group = rule.apiGroups?.[0];
        if (group !== "crd.projectcalico.org" && group !== "policy.networking.k8s.io") continue;
        for (const resource of rule.resources ?? []) {
          if (!legacy.has(resource)) expect(crdPlurals, `${role}: ${resource}`).toContain(resource);
        }
      }
    }
  });

  it("creates the default IP pool from the spec's pod network, VXLAN-encapsulated, with the MTU", () => {
    const objects = objectsOf(
      addonSpec((s) => {
        s.networking = { podCIDR: "10.60.0.0/16", cni: { mtu: 1400 } };
      }),
      "cni.yaml",
    );
    const node = find(objects, "DaemonSet", "calico-node").spec.template.spec;
    const env = envOf(node.containers[0]);
    expect(env.get("CALICO_IPV4POOL_CIDR")?.value).toBe("10.60.0.0/16");
    expect(env.get("CALICO_IPV4POOL_VXLAN")?.value).toBe("Always");
    expect(env.get("CALICO_IPV4POOL_IPIP")?.value).toBe("Never");
    const config = find(objects, "ConfigMap", "calico-config");
    expect(config.data?.veth_mtu).toBe("1400");
    expect(config.data?.calico_backend).toBe("vxlan");
    // The MTU reaches the CNI config and every tunnel device through the ConfigMap key.
    for (const name of ["FELIX_VXLANMTU", "FELIX_IPINIPMTU", "FELIX_WIREGUARDMTU"]) {
      expect(env.get(name)?.valueFrom).toStrictEqual({
        configMapKeyRef: { name: "calico-config", key: "veth_mtu" },
      });
    }
    expect(envOf(node.initContainers[0]).get("CNI_MTU")?.valueFrom).toStrictEqual({
      configMapKeyRef: { name: "calico-config", key: "veth_mtu" },
    });
    expect(config.data?.cni_network_config).toContain('"mtu": __CNI_MTU__');
  });

  it("lets Calico detect the MTU when the spec sets none", () => {
    const config = find(objectsOf(addonSpec(), "cni.yaml"), "ConfigMap", "calico-config");
    expect(config.data?.veth_mtu).toBe("0");
  });

  it("pins every image to the Calico release", () => {
    const objects = objectsOf(addonSpec(), "cni.yaml");
    const images = objects
      .filter((o) => o.kind === "DaemonSet" || o.kind === "Deployment")
      .flatMap((o) => [...(o.spec.template.spec.initContainers ?? []), ...o.spec.template.spec.containers])
      .map((c: { image: string }) => c.image);
    expect(new Set(images)).toStrictEqual(new Set(Object.values(CALICO_IMAGES)));
    for (const image of images) expect(image.endsWith(`:${CALICO_VERSION}`)).toBe(true);
  });

  it("grants least privilege: no wildcard, no cluster-admin, no Secrets", () => {
    const objects = objectsOf(addonSpec(), "cni.yaml");
    expectLeastPrivilege(objects);
    const rules = objects
      .filter((o) => o.kind === "ClusterRole")
      .flatMap((o) => (o as unknown as { rules: { resources: string[] }[] }).rules);
    expect(rules.flatMap((r) => r.resources)).not.toContain("secrets");
    const tokenRule = (
      find(objects, "ClusterRole", "calico-node") as unknown as {
        rules: { resources: string[]; resourceNames?: string[] }[];
      }
    ).rules.find((r) => r.resources.includes("serviceaccounts/token"));
    expect(tokenRule?.resourceNames).toStrictEqual(["calico-cni-plugin"]);
  });

  it("runs BIRD and its probes with IP-in-IP encapsulation", () => {
    const app = new App();
    const model = new ClusterModel(resolveClusterSpec(addonSpec()));
    const calico = new Calico(app, "cni", { model, encapsulation: "ipip" });
    const objects = calico.toJson() as KubeObject[];
    expect(validateObjects(objects)).toBe(objects.length);
    const container = find(objects, "DaemonSet", "calico-node").spec.template.spec.containers[0];
    expect(envOf(container).get("CALICO_IPV4POOL_IPIP")?.value).toBe("Always");
    expect(envOf(container).get("CALICO_IPV4POOL_VXLAN")?.value).toBe("Never");
    expect(find(objects, "ConfigMap", "calico-config").data?.calico_backend).toBe("bird");
    expect(container.livenessProbe.exec.command).toStrictEqual([
      "/bin/calico-node",
      "-felix-live",
      "-bird-live",
    ]);
    expect(container.readinessProbe.exec.command).toStrictEqual([
      "/bin/calico-node",
      "-felix-ready",
      "-bird-ready",
    ]);
  });
});

describe("Flannel", () => {
  it("renders only objects that pass the official schemas, in its own namespace", () => {
    const objects = objectsOf(flannelSpec(), "cni.yaml");
    expect(validateObjects(objects)).toBe(objects.length);
    const namespace = find(objects, "Namespace", FLANNEL_NAMESPACE);
    expect(namespace.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    for (const o of objects) {
      if (!["Namespace", "ClusterRole", "ClusterRoleBinding"].includes(o.kind)) {
        expect(o.metadata.namespace).toBe(FLANNEL_NAMESPACE);
      }
    }
    expectLeastPrivilege(objects);
  });

  it("uses the spec's pod network, VXLAN and the MTU", () => {
    const objects = objectsOf(flannelSpec(1450), "cni.yaml");
    const netConf = configData(find(objects, "ConfigMap", "kube-flannel-cfg"), "net-conf.json");
    expect(netConf).toStrictEqual({
      Network: "10.50.0.0/16",
      EnableNFTables: false,
      Backend: { Type: "vxlan", MTU: 1450 },
    });
    const withoutMtu = configData(
      find(objectsOf(flannelSpec(), "cni.yaml"), "ConfigMap", "kube-flannel-cfg"),
      "net-conf.json",
    );
    expect(withoutMtu.Backend).toStrictEqual({ Type: "vxlan" });
  });

  it("uses nftables when kube-proxy does", () => {
    const objects = objectsOf(flannelSpec(undefined, "nftables"), "cni.yaml");
    expect(configData(find(objects, "ConfigMap", "kube-flannel-cfg"), "net-conf.json").EnableNFTables).toBe(
      true,
    );
  });

  it("runs with NET_ADMIN and NET_RAW, unprivileged, on pinned images", () => {
    const pod = find(objectsOf(flannelSpec(), "cni.yaml"), "DaemonSet", "kube-flannel-ds").spec.template.spec;
    const [main] = pod.containers;
    expect(main.securityContext).toStrictEqual({
      privileged: false,
      capabilities: { add: ["NET_ADMIN", "NET_RAW"] },
    });
    expect(main.args).toStrictEqual(["--ip-masq", "--kube-subnet-mgr"]);
    expect(pod.hostNetwork).toBe(true);
    const images = [...pod.initContainers, ...pod.containers].map((c: { image: string }) => c.image);
    expect(new Set(images)).toStrictEqual(new Set(Object.values(FLANNEL_IMAGES)));
  });
});

describe("CNI plugin none", () => {
  it("writes no CNI objects at all", () => {
    const { rendered } = render(addonSpec((s) => (s.networking = { cni: { plugin: "none" } })));
    expect(clusterFile(rendered, "cni.yaml")).toBeUndefined();
    expect(clusterFile(rendered, "coredns.yaml")).toBeDefined();
  });
});

describe("NetworkPolicy enforcement validation", () => {
  const codes = (cni: Record<string, unknown>) =>
    validateClusterSpec(addonSpec((s) => (s.networking = { cni }))).issues.map((i) => i.code);

  it("refuses flannel while NetworkPolicy enforcement is requested (the default)", () => {
    const issues = validateClusterSpec(
      addonSpec((s) => (s.networking = { cni: { plugin: "flannel" } })),
    ).issues;
    expect(issues.map((i) => i.code)).toStrictEqual(["CNI_POLICY_UNSUPPORTED"]);
    expect(issues[0]?.path).toBe("networking.cni.plugin");
    expect(issues[0]?.fix).toContain("enforceNetworkPolicy: false");
    expect(codes({ plugin: "flannel", enforceNetworkPolicy: true })).toStrictEqual([
      "CNI_POLICY_UNSUPPORTED",
    ]);
  });

  it("accepts flannel without enforcement, calico with it, and none either way", () => {
    expect(codes({ plugin: "flannel", enforceNetworkPolicy: false })).toStrictEqual([]);
    expect(codes({ plugin: "calico" })).toStrictEqual([]);
    expect(codes({ plugin: "none" })).toStrictEqual([]);
    expect(codes({ plugin: "none", enforceNetworkPolicy: false })).toStrictEqual([]);
  });
});
