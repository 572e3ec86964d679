import { describe, expect, it } from "vitest";
import {
  etcdMinorOf,
  findRelease,
  KUBERNETES_RELEASES,
  parseKubernetesVersion,
  SUPPORTED_ETCD_MINORS,
  SUPPORTED_MINORS,
} from "../../lib/spec/versions";

/** `1.34` → 134 000, for ordering minors numerically (1.9 < 1.10). */
function minorRank(minor: string): number {
  const [major = "", min = ""] = minor.split(".");
  return Number(major) * 1000 + Number(min);
}

describe("the version table", () => {
  it("lists minors newest first, each once", () => {
    const minors = KUBERNETES_RELEASES.map((r) => r.minor);
    expect(new Set(minors).size).toBe(minors.length);
    const ranks = minors.map(minorRank);
    expect(ranks).toStrictEqual([...ranks].sort((a, b) => b - a));
    expect(SUPPORTED_MINORS).toStrictEqual(minors);
  });

  it.each(KUBERNETES_RELEASES)("$minor: default patch, images and etcd minor are consistent", (release) => {
    expect(parseKubernetesVersion(release.minor)).toStrictEqual({ minor: release.minor });
    expect(parseKubernetesVersion(release.defaultPatch)).toStrictEqual({
      minor: release.minor,
      patch: release.defaultPatch,
    });
    expect(release.etcd).toMatch(/^\d+\.\d+\.\d+-\d+$/);
    expect(SUPPORTED_ETCD_MINORS).toContain(etcdMinorOf(release.etcd));
    expect(release.coredns).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(release.pause).toMatch(/^\d+\.\d+(\.\d+)?$/);
    expect(findRelease(release.minor)).toBe(release);
  });

  it("never pairs a newer Kubernetes minor with an older etcd", () => {
    const etcdRanks = KUBERNETES_RELEASES.map((r) => {
      const [major = 0, minor = 0, patch = 0] = r.etcd.split("-")[0]?.split(".").map(Number) ?? [];
      return major * 1e6 + minor * 1e3 + patch;
    });
    expect(etcdRanks).toStrictEqual([...etcdRanks].sort((a, b) => b - a));
  });

  it("finds no release for an unsupported minor", () => {
    expect(findRelease("1.20")).toBeUndefined();
    expect(findRelease("")).toBeUndefined();
  });
});

describe("parseKubernetesVersion", () => {
  it.each([
    ["1.34", { minor: "1.34" }],
    ["v1.34", { minor: "1.34" }],
    ["1.34.2", { minor: "1.34", patch: "1.34.2" }],
    ["v1.35.2", { minor: "1.35", patch: "1.35.2" }],
    ["1.36.0", { minor: "1.36", patch: "1.36.0" }],
    ["1.20", { minor: "1.20" }],
  ])("parses %s", (text, expected) => {
    expect(parseKubernetesVersion(text)).toStrictEqual(expected);
  });

  it.each([
    "",
    "1",
    "banana",
    "1.34.2.1",
    "1.35.02",
    "01.35",
    "1.034",
    "V1.34",
    "v 1.34",
    "1.34-rc.0",
    "1.34.0-alpha.1",
    " 1.34",
  ])("rejects %j", (text) => {
    expect(parseKubernetesVersion(text)).toBeUndefined();
  });
});

describe("etcdMinorOf", () => {
  it.each([
    ["3.5.24-0", "3.5"],
    ["3.6.8-0", "3.6"],
    ["3.4.23", "3.4"],
  ])("maps %s to %s", (version, minor) => {
    expect(etcdMinorOf(version)).toBe(minor);
  });

  it.each(["3.3.10", "3.7.0-0", "3.6", "latest", "", "3.5.24-rc"])("knows no minor for %j", (version) => {
    expect(etcdMinorOf(version)).toBeUndefined();
  });
});
