import { describe, expect, it } from "vitest";
import { type ErrorCode, SpecValidationError } from "../../lib/errors";
import { checkUpgrade, etcdQuorum, type UpgradeSide, validateUpgrade } from "../../lib/spec/validate-upgrade";

const members = (n: number, prefix = "cp") =>
  Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i + 1}`, address: `192.0.2.${11 + i}` }));
const side = (kubernetesVersion?: string, etcd = members(3), etcdVersion?: string): UpgradeSide => ({
  kubernetesVersion,
  etcdMembers: etcd,
  etcdVersion,
});
const codes = (b: UpgradeSide, a: UpgradeSide): ErrorCode[] => validateUpgrade(b, a).map((i) => i.code);

describe("the version-skew policy", () => {
  it.each([
    ["a patch upgrade", "1.34.3", "1.34.4", []],
    ["one minor up", "1.34.4", "1.35.1", []],
    ["a patch downgrade within the minor", "1.35.1", "1.35.0", []],
    ["two minors up", "1.33.8", "1.35.1", ["UPGRADE_SKIPS_MINOR"]],
    ["one minor down", "1.35.1", "1.34.4", ["VERSION_DOWNGRADE", "KUBELET_SKEW"]],
    ["four minors up (kubelets too old)", "1.31.0", "1.35.1", ["UPGRADE_SKIPS_MINOR", "KUBELET_SKEW"]],
    ["unknown previous version", undefined, "1.35.1", []],
  ] as const)("%s: %s → %s", (_, from, to, expected) => {
    expect(codes(side(from), side(to))).toStrictEqual(expected);
  });

  it("refuses etcd skipping a minor or going back a minor, and allows one minor up", () => {
    expect(
      codes(side(undefined, members(3), "3.4.23"), side(undefined, members(3), "3.6.6-0")),
    ).toStrictEqual(["ETCD_VERSION_SKEW"]);
    expect(
      codes(side(undefined, members(3), "3.6.6-0"), side(undefined, members(3), "3.5.24-0")),
    ).toStrictEqual(["ETCD_VERSION_SKEW"]);
    expect(
      codes(side(undefined, members(3), "3.5.24-0"), side(undefined, members(3), "3.6.6-0")),
    ).toStrictEqual([]);
  });
});

describe("etcd quorum", () => {
  it.each([
    ["3 → 1 (two removed at once)", members(3), members(1), ["ETCD_QUORUM_LOSS"]],
    ["5 → 3", members(5), members(3), []],
    ["5 → 1", members(5), members(1), ["ETCD_QUORUM_LOSS"]],
    [
      "3 → 3 with one member re-addressed",
      members(3),
      [...members(2), { name: "cp-3", address: "192.0.2.99" }],
      [],
    ],
    [
      "3 → 3 with two members re-addressed",
      members(3),
      [...members(1), { name: "cp-2", address: "192.0.2.98" }, { name: "cp-3", address: "192.0.2.99" }],
      ["ETCD_QUORUM_LOSS"],
    ],
    ["1 → 3 (growing)", members(1), members(3), []],
  ] as const)("%s", (_, before, after, expected) => {
    expect(codes(side(undefined, [...before]), side(undefined, [...after]))).toStrictEqual(expected);
  });

  it("says what to do instead: the smallest odd membership that keeps quorum, or a snapshot restore", () => {
    const [five] = validateUpgrade(side(undefined, members(5)), side(undefined, members(1)));
    expect(five?.fix).toContain("Go to 3 etcd members");
    const [three] = validateUpgrade(side(undefined, members(3)), side(undefined, members(1)));
    expect(three?.fix).toContain("snapshot");
    expect([1, 2, 3, 4, 5, 7].map(etcdQuorum)).toStrictEqual([1, 2, 2, 3, 3, 4]);
  });

  it("checkUpgrade throws every problem at once", () => {
    expect(() => checkUpgrade(side("1.33.8", members(3)), side("1.35.1", members(1)))).toThrow(
      SpecValidationError,
    );
    try {
      checkUpgrade(side("1.33.8", members(3)), side("1.35.1", members(1)));
    } catch (e) {
      expect((e as SpecValidationError).codes).toStrictEqual(["UPGRADE_SKIPS_MINOR", "ETCD_QUORUM_LOSS"]);
    }
    expect(() => checkUpgrade(side("1.34.4"), side("1.35.1"))).not.toThrow();
  });
});
