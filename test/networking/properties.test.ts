import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import { fileOf, podFlags, render, singleNodeSpec } from "../util";
import { PINNED_VERSION } from "../worker/fixtures";
import { clusterFile, configData, find, type KubeObject } from "./fixtures";

/** Test-side IPv4 arithmetic, independent of lib/private/cidr. */
const toInt = (ip: string) => ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
const block = (base: string, outerPrefix: number, prefix: number, bits: number) => {
  // Keep the outer block's prefix, take the rest of the network bits from `bits`, zero the host bits.
  const size = 2 ** (32 - prefix);
  const within = (bits % 2 ** (32 - outerPrefix)) - ((bits % 2 ** (32 - outerPrefix)) % size);
  return `${toIp(toInt(base) + within)}/${prefix}`;
};

/** A valid, disjoint pod/service CIDR pair: one inside 10.0.0.0/8, the other inside 172.16.0.0/12. */
const networks = fc
  .record({
    podPrefix: fc.integer({ min: 12, max: 23 }),
    servicePrefix: fc.integer({ min: 12, max: 24 }),
    podBits: fc.nat({ max: 2 ** 32 - 1 }),
    serviceBits: fc.nat({ max: 2 ** 32 - 1 }),
    swap: fc.boolean(),
    plugin: fc.constantFrom("calico" as const, "flannel" as const),
  })
  .map(({ podPrefix, servicePrefix, podBits, serviceBits, swap, plugin }) => {
    const [podBase, podOuter, serviceBase, serviceOuter] = swap
      ? (["172.16.0.0", 12, "10.0.0.0", 8] as const)
      : (["10.0.0.0", 8, "172.16.0.0", 12] as const);
    return {
      podCIDR: block(podBase, podOuter, podPrefix, podBits),
      serviceCIDR: block(serviceBase, serviceOuter, servicePrefix, serviceBits),
      plugin,
    };
  });

function specFor(n: {
  podCIDR: string;
  serviceCIDR: string;
  plugin: "calico" | "flannel";
}): ClusterSpecInput {
  return {
    ...singleNodeSpec(),
    kubernetesVersion: PINNED_VERSION,
    networking: {
      podCIDR: n.podCIDR,
      serviceCIDR: n.serviceCIDR,
      cni: { plugin: n.plugin, enforceNetworkPolicy: n.plugin === "calico" },
    },
  };
}

function cniPodCidr(objects: readonly KubeObject[]): string {
  const flannel = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "kube-flannel-cfg");
  if (flannel) return String(configData(flannel, "net-conf.json").Network);
  const env = find(objects, "DaemonSet", "calico-node").spec.template.spec.containers[0].env as {
    name: string;
    value?: string;
  }[];
  return String(env.find((e) => e.name === "CALICO_IPV4POOL_CIDR")?.value);
}

describe("add-on properties", () => {
  it("puts CoreDNS at the 10th service address and one pod CIDR everywhere, for any valid networks", () => {
    fc.assert(
      fc.property(networks, (n) => {
        const { rendered } = render(specFor(n));
        const objects = (file: string) => {
          const found = clusterFile(rendered, file);
          if (!found) throw new Error(`no ${file}`);
          return found;
        };
        const [serviceNetwork = ""] = n.serviceCIDR.split("/");
        expect(find(objects("coredns.yaml"), "Service", "kube-dns").spec.clusterIP).toBe(
          toIp(toInt(serviceNetwork) + 10),
        );
        const controllerManager = parse(
          fileOf(rendered, "node-1", "/etc/kubernetes/manifests/kube-controller-manager.yaml"),
        );
        const kubeProxy = configData(
          find(objects("kube-proxy.yaml"), "ConfigMap", "kube-proxy"),
          "config.conf",
        );
        const seen = [
          podFlags(controllerManager).get("cluster-cidr"),
          kubeProxy.clusterCIDR,
          cniPodCidr(objects("cni.yaml")),
        ];
        expect(seen).toStrictEqual([n.podCIDR, n.podCIDR, n.podCIDR]);
      }),
      { numRuns: 40, seed: 20240521 },
    );
  });

  it("synthesizes the add-ons byte-identically from the same spec", () => {
    const once = () =>
      JSON.stringify(
        render(specFor({ podCIDR: "10.244.0.0/16", serviceCIDR: "10.96.0.0/12", plugin: "calico" })).rendered
          .clusterObjects,
      );
    expect(once()).toBe(once());
  });
});
