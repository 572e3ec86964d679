import { describe, expect, it } from "vitest";
import { didYouMean } from "../../lib/private/suggest";

const ROOT_KEYS = [
  "name",
  "kubernetesVersion",
  "controlPlane",
  "nodes",
  "etcd",
  "networking",
  "images",
  "security",
  "pki",
];
const NETWORKING_KEYS = ["podCIDR", "serviceCIDR", "nodeCIDRMaskSize", "dnsDomain"];

describe("didYouMean", () => {
  it.each([
    ["nodse", ROOT_KEYS, "nodes"],
    ["node", ROOT_KEYS, "nodes"],
    ["NODES", ROOT_KEYS, "nodes"],
    ["kubernetesVerison", ROOT_KEYS, "kubernetesVersion"],
    ["controlplane", ROOT_KEYS, "controlPlane"],
    ["podCidr", NETWORKING_KEYS, "podCIDR"],
    ["servicecidr", NETWORKING_KEYS, "serviceCIDR"],
    ["nodeCidrMaskSize", NETWORKING_KEYS, "nodeCIDRMaskSize"],
    ["externl", ["stacked", "external"], "external"],
    ["control-plan", ["control-plane", "etcd", "worker"], "control-plane"],
    ["NoSchedul", ["NoSchedule", "PreferNoSchedule", "NoExecute"], "NoSchedule"],
  ])("suggests a close typo: %s → %s", (input, candidates, expected) => {
    expect(didYouMean(input, candidates)).toBe(expected);
  });

  it.each([
    ["banana", ROOT_KEYS],
    ["replicas", NETWORKING_KEYS],
    ["kubelet", ROOT_KEYS],
    ["raft", ["stacked", "external"]],
  ])("gives nothing for an unrelated word: %s", (input, candidates) => {
    expect(didYouMean(input, candidates)).toBeUndefined();
  });

  it("gives nothing without candidates", () => {
    expect(didYouMean("nodes", [])).toBeUndefined();
  });

  it("returns the candidate as spelt in the schema, and an exact match as itself", () => {
    expect(didYouMean("PODCIDR", NETWORKING_KEYS)).toBe("podCIDR");
    expect(didYouMean("etcd", ROOT_KEYS)).toBe("etcd");
  });

  it("prefers the closest of several near candidates", () => {
    expect(didYouMean("maxAge", ["maxAge", "maxBackup", "maxSize"])).toBe("maxAge");
    expect(didYouMean("maxSiz", ["maxAge", "maxBackup", "maxSize"])).toBe("maxSize");
  });
});
