import { describe, expect, it } from "vitest";
import { CONTAINERD_CONFIG, registryHostsToml, upstreamServer } from "../../lib/worker/containerd";
import { fileOf, nodeOf, render } from "../util";
import { pinnedSpec } from "./fixtures";

describe("containerd", () => {
  it("writes a config version 3 with systemd cgroups, the version's pause image and config_path", () => {
    const { rendered } = render(pinnedSpec());
    for (const node of rendered.nodes) {
      const config = fileOf(rendered, node.name, CONTAINERD_CONFIG);
      expect(config).toMatch(/^version = 3$/m);
      expect(config).toContain(
        "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = true",
      );
      expect(config).toContain(
        "[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = \"registry.k8s.io/pause:3.10.1\"",
      );
      expect(config).toContain('config_path = "/etc/containerd/certs.d"');
      // containerd 1.x keys are not accepted in version 3 and must not appear.
      expect(config).not.toMatch(/sandbox_image|io\.containerd\.grpc\.v1\.cri|registry\.mirrors/);
    }
  });

  it("follows the images registry for the sandbox image", () => {
    const { rendered } = render(
      pinnedSpec((s) => {
        s.images = { registry: "registry.example.internal/k8s/" };
      }),
    );
    expect(fileOf(rendered, "worker-1", CONTAINERD_CONFIG)).toContain(
      'sandbox = "registry.example.internal/k8s/pause:3.10.1"',
    );
  });

  it("writes one hosts.toml per mirrored registry, pull and resolve only", () => {
    const { rendered } = render(
      pinnedSpec((s) => {
        s.containerd = {
          registryMirrors: {
            "docker.io": ["https://mirror-a.example.internal", "https://mirror-b.example.internal"],
            "ghcr.io": ["https://ghcr-mirror.example.internal"],
          },
        };
      }),
    );
    const paths = nodeOf(rendered, "cp-1")
      .files.map((f) => f.path)
      .filter((p) => p.startsWith("/etc/containerd/certs.d/"));
    expect(paths).toStrictEqual([
      "/etc/containerd/certs.d/docker.io/hosts.toml",
      "/etc/containerd/certs.d/ghcr.io/hosts.toml",
    ]);
    const docker = fileOf(rendered, "cp-1", "/etc/containerd/certs.d/docker.io/hosts.toml");
    expect(docker).toContain('server = "https://registry-1.docker.io"');
    expect(docker.indexOf("mirror-a")).toBeLessThan(docker.indexOf("mirror-b"));
    expect(docker.match(/capabilities = \["pull", "resolve"\]/g)?.length).toBe(2);
  });

  it("names the upstream of other registries by host", () => {
    expect(upstreamServer("quay.io")).toBe("https://quay.io");
    expect(registryHostsToml("quay.io", [])).toContain('server = "https://quay.io"');
  });
});
