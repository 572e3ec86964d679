/**
 * Pinned versions and SHA-256 checksums of every binary the node bootstrap downloads.
 *
 * Source of every value: kubespray's `roles/kubespray_defaults/vars/main/checksums.yml`
 * (kubernetes-sigs/kubespray, commit 005bdce7f1867958838a2d0bb4f7e67893d98f64), which records the
 * digests the projects publish next to their release artifacts. The bootstrap never installs a
 * binary it cannot verify: validation reports `NO_PINNED_CHECKSUM` for an explicitly chosen patch
 * without an entry here, and the script of any other unpinned version stops before touching the host.
 */

/** CPU architectures the bootstrap script supports (`uname -m` x86_64 / aarch64). */
export type Arch = "amd64" | "arm64";

/** Every supported architecture, in the order the script tests them. */
export const ARCHES: readonly Arch[] = ["amd64", "arm64"];

/** A SHA-256 digest per architecture. */
export type ArchDigests = Readonly<Record<Arch, string>>;

/** The digests of the kubelet and kubectl binaries of one Kubernetes patch release. */
export interface KubernetesBinaryDigests {
  readonly kubelet: ArchDigests;
  readonly kubectl: ArchDigests;
}

/** kubelet and kubectl from `https://dl.k8s.io/release/v<version>/bin/linux/<arch>/<binary>`. */
export const KUBERNETES_BINARY_CHECKSUMS: Readonly<Record<string, KubernetesBinaryDigests>> = {
  "1.35.1": {
    kubelet: {
      amd64: "e7343310e03ff0d424df4397bdfa4468947d6d1f0f93dac586c1e8d6e4086d5d",
      arm64: "73475c6db8fd8a9780b1b378fa2f917875e6146166c24603c1abc6eafd4493a8",
    },
    kubectl: {
      amd64: "36e2f4ac66259232341dd7866952d64a958846470f6a9a6a813b9117bd965207",
      arm64: "706256e21a4e9192ee62d1a007ac0bfcff2b0b26e92cc7baad487a6a5d08ff82",
    },
  },
  "1.34.4": {
    kubelet: {
      amd64: "03b8fea715a7ef82eeaf518dee34c72670c57cc7bc40dc1320c04fbf4f15172f",
      arm64: "c78845473c434ee85a2444eeab87f8b20f524e3ab6854a078f79468f44aad8f5",
    },
    kubectl: {
      amd64: "d50c359d95e0841eaad08ddc27c7be37cba8fdccfba5c8e2ded65e121ff112db",
      arm64: "5b982c0644ab1e27780246b9085a5886651b4a7ed86243acbb2bacc1bea01dda",
    },
  },
  "1.33.8": {
    kubelet: {
      amd64: "1caa69c5328cfa774218f75f0621a6f10a1b97e095af85015f468aeb8fdf956a",
      arm64: "e835f15be6d8b7b27b963a46c4a054f7663c26741f17e003bfcb8271350cf882",
    },
    kubectl: {
      amd64: "7f9c3faab7c9f9cc3f318d49eb88efc60eb3b3a7ce9eee5feb39b1280e108a29",
      arm64: "76e284669f1f6343bd9fe2a011757809c8c01cf51da9f85ee6ef4eb93c8393a8",
    },
  },
};

/** A pinned runtime component: version and per-architecture digest of its release artifact. */
export interface PinnedArtifact {
  readonly version: string;
  readonly sha256: ArchDigests;
}

/** containerd 2.2 (config version 3), `containerd-<v>-linux-<arch>.tar.gz`. */
export const CONTAINERD: PinnedArtifact = {
  version: "2.2.1",
  sha256: {
    amd64: "f5d8e90ecb6c1c7e33ecddf8cc268a93b9e5b54e0e850320d765511d76624f41",
    arm64: "dac15a0d412a24be8bfe6a40cec8f51829062725169f1e72ac7d120a891ef5b6",
  },
};

/** runc, the binary `runc.<arch>`. */
export const RUNC: PinnedArtifact = {
  version: "1.3.4",
  sha256: {
    amd64: "5966ca40b6187b30e33bfc299c5f1fe72e8c1aa01cf3fefdadf391668f47f103",
    arm64: "d6dcab36d1b6af1b72c7f0662e5fcf446a291271ba6006532b95c4144e19d428",
  },
};

/** The reference CNI plugins, `cni-plugins-linux-<arch>-v<v>.tgz`. */
export const CNI_PLUGINS: PinnedArtifact = {
  version: "1.8.0",
  sha256: {
    amd64: "ab3bda535f9d90766cccc90d3dddb5482003dd744d7f22bcf98186bf8eea8be6",
    arm64: "57ce466fc3b79db1f19b8f4c63e07a1112306efa53c94fe810a2150dd9e07ddb",
  },
};

/** The pinned kubelet/kubectl digests of a Kubernetes version, or undefined when none are pinned. */
export function kubernetesBinaryDigests(version: string): KubernetesBinaryDigests | undefined {
  return Object.hasOwn(KUBERNETES_BINARY_CHECKSUMS, version)
    ? KUBERNETES_BINARY_CHECKSUMS[version]
    : undefined;
}

/** The Kubernetes versions with pinned binaries, newest first. */
export function pinnedKubernetesVersions(): string[] {
  return Object.keys(KUBERNETES_BINARY_CHECKSUMS).sort((a, b) => b.localeCompare(a, "en", { numeric: true }));
}

/** One download of the bootstrap script. `{arch}` in `url` is replaced by the host's architecture. */
export interface Download {
  /** Short name, also the shell function suffix. */
  readonly name: "containerd" | "runc" | "cni-plugins" | "kubelet" | "kubectl";
  readonly version: string;
  readonly url: string;
  /** The pinned digests the script verifies before installing anything. */
  readonly sha256: ArchDigests;
}

/**
 * Every artifact the bootstrap of a Kubernetes version downloads, each with its pinned digests.
 * Validation (`NO_PINNED_CHECKSUM`) admits only versions with pinned kubelet and kubectl digests.
 */
export function downloadsFor(kubernetesVersion: string): Download[] {
  const k8s = kubernetesBinaryDigests(kubernetesVersion);
  if (!k8s) throw new Error(`internal: no pinned digests for Kubernetes ${kubernetesVersion}`);
  const c = CONTAINERD.version;
  const r = RUNC.version;
  const n = CNI_PLUGINS.version;
  const k = kubernetesVersion;
  return [
    {
      name: "containerd",
      version: c,
      url: `https://github.com/containerd/containerd/releases/download/v${c}/containerd-${c}-linux-{arch}.tar.gz`,
      sha256: CONTAINERD.sha256,
    },
    {
      name: "runc",
      version: r,
      url: `https://github.com/opencontainers/runc/releases/download/v${r}/runc.{arch}`,
      sha256: RUNC.sha256,
    },
    {
      name: "cni-plugins",
      version: n,
      url: `https://github.com/containernetworking/plugins/releases/download/v${n}/cni-plugins-linux-{arch}-v${n}.tgz`,
      sha256: CNI_PLUGINS.sha256,
    },
    {
      name: "kubelet",
      version: k,
      url: `https://dl.k8s.io/release/v${k}/bin/linux/{arch}/kubelet`,
      sha256: k8s.kubelet,
    },
    {
      name: "kubectl",
      version: k,
      url: `https://dl.k8s.io/release/v${k}/bin/linux/{arch}/kubectl`,
      sha256: k8s.kubectl,
    },
  ];
}
