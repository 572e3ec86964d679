import { describe, expect, it } from "vitest";
import { findRelease, KUBERNETES_RELEASES, SUPPORTED_MINORS } from "../../lib/spec/versions";
import {
  ARCHES,
  CNI_PLUGINS,
  CONTAINERD,
  downloadsFor,
  KUBERNETES_BINARY_CHECKSUMS,
  kubernetesBinaryDigests,
  pinnedKubernetesVersions,
  RUNC,
} from "../../lib/worker/checksums";

const SHA256 = /^[0-9a-f]{64}$/;

describe("pinned checksums", () => {
  it("hold a SHA-256 per architecture for every artifact", () => {
    for (const [version, digests] of Object.entries(KUBERNETES_BINARY_CHECKSUMS)) {
      for (const arch of ARCHES) {
        expect(digests.kubelet[arch], `kubelet ${version} ${arch}`).toMatch(SHA256);
        expect(digests.kubectl[arch], `kubectl ${version} ${arch}`).toMatch(SHA256);
      }
    }
    for (const artifact of [CONTAINERD, RUNC, CNI_PLUGINS]) {
      for (const arch of ARCHES) expect(artifact.sha256[arch]).toMatch(SHA256);
    }
  });

  it("never reuse a digest for two artifacts", () => {
    const all = [
      ...Object.values(KUBERNETES_BINARY_CHECKSUMS).flatMap((d) => [
        ...Object.values(d.kubelet),
        ...Object.values(d.kubectl),
      ]),
      ...[CONTAINERD, RUNC, CNI_PLUGINS].flatMap((a) => Object.values(a.sha256)),
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it("pin only versions of supported minors", () => {
    for (const version of pinnedKubernetesVersions()) {
      const minor = version.split(".").slice(0, 2).join(".");
      expect(SUPPORTED_MINORS).toContain(minor);
      expect(findRelease(minor)).toBeDefined();
    }
    expect(pinnedKubernetesVersions()).toStrictEqual(["1.35.1", "1.34.4", "1.33.8"]);
  });

  it("list the five downloads, and refuse a version without pinned digests", () => {
    expect(downloadsFor("1.34.4").map((d) => d.name)).toStrictEqual([
      "containerd",
      "runc",
      "cni-plugins",
      "kubelet",
      "kubectl",
    ]);
    expect(kubernetesBinaryDigests("1.34.99")).toBeUndefined();
    expect(kubernetesBinaryDigests("constructor")).toBeUndefined();
    expect(() => downloadsFor("1.34.99")).toThrow(/no pinned digests/);
  });

  it("pin the kubelet and kubectl of every default patch in the version table", () => {
    for (const release of KUBERNETES_RELEASES) {
      expect(kubernetesBinaryDigests(release.defaultPatch), release.defaultPatch).toBeDefined();
    }
  });
});
