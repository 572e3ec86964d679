import { describe, expect, it } from "vitest";
import type { ErrorCode } from "../../lib/errors";
import { SpecValidationError } from "../../lib/errors";
import { resolveClusterSpec, validateClusterSpec } from "../../lib/spec/validate";
import { defaultSpec } from "../util";
import { pinnedSpec } from "./fixtures";

function codes(spec: unknown): ErrorCode[] {
  return validateClusterSpec(spec).issues.map((i) => i.code);
}

describe("node runtime validation", () => {
  it("accepts the default cluster on a pinned version", () => {
    expect(codes(pinnedSpec())).toStrictEqual([]);
  });

  it("rejects an explicitly chosen patch without pinned binary checksums (NO_PINNED_CHECKSUM)", () => {
    const result = validateClusterSpec(pinnedSpec((s) => (s.kubernetesVersion = "1.34.3")));
    expect(result.issues.map((i) => i.code)).toStrictEqual(["NO_PINNED_CHECKSUM"]);
    expect(result.issues[0]?.path).toBe("kubernetesVersion");
    expect(codes(pinnedSpec((s) => (s.kubernetesVersion = "v1.33.8")))).toStrictEqual([]);
    // A minor alone resolves to the version table's default patch; its script fails closed instead.
    expect(codes(pinnedSpec((s) => (s.kubernetesVersion = "1.34")))).toStrictEqual([]);
  });

  it("rejects malformed sysctl names and values (INVALID_SYSCTL)", () => {
    const spec = pinnedSpec((s) => {
      s.networking = {
        sysctls: { "Net Core": 1, "net.core.somaxconn": "", "net.ipv4.tcp_fin_timeout": "15\n" },
      };
    });
    expect(codes(spec)).toStrictEqual(["INVALID_SYSCTL", "INVALID_SYSCTL", "INVALID_SYSCTL"]);
    expect(
      codes(pinnedSpec((s) => (s.networking = { sysctls: { "net.core.somaxconn": 65535 } }))),
    ).toStrictEqual([]);
  });

  it("rejects overriding a value the kubelet protects (SYSCTL_CONFLICT)", () => {
    expect(
      codes(pinnedSpec((s) => (s.networking = { sysctls: { "vm.overcommit_memory": 0 } }))),
    ).toStrictEqual(["SYSCTL_CONFLICT"]);
    expect(codes(pinnedSpec((s) => (s.networking = { sysctls: { "kernel.panic": "10" } })))).toStrictEqual(
      [],
    );
  });

  it("rejects a DNS endpoint for kube-vip and haproxy-keepalived (ENDPOINT_NOT_IPV4)", () => {
    const dns = pinnedSpec(
      (s) => (s.controlPlane = { endpoint: { host: "api.example.internal", port: 6443 } }),
    );
    expect(codes(dns)).toStrictEqual(["ENDPOINT_NOT_IPV4"]);
    const external = pinnedSpec(
      (s) =>
        (s.controlPlane = {
          endpoint: { host: "api.example.internal", port: 6443 },
          loadBalancer: { provider: "external" },
        }),
    );
    expect(codes(external)).toStrictEqual([]);
  });

  it("rejects an endpoint port that the load balancer cannot serve (ENDPOINT_PORT_CONFLICT)", () => {
    const haproxy = pinnedSpec(
      (s) =>
        (s.controlPlane = {
          endpoint: { host: "192.0.2.10", port: 6443 },
          loadBalancer: { provider: "haproxy-keepalived" },
        }),
    );
    expect(codes(haproxy)).toStrictEqual(["ENDPOINT_PORT_CONFLICT"]);
    const kubeVip = pinnedSpec((s) => (s.controlPlane = { endpoint: { host: "192.0.2.10", port: 8443 } }));
    expect(codes(kubeVip)).toStrictEqual(["ENDPOINT_PORT_CONFLICT"]);
  });

  it("rejects bad registry mirrors (INVALID_REGISTRY_MIRROR) and interface names (INVALID_VALUE)", () => {
    const spec = pinnedSpec((s) => {
      s.containerd = {
        registryMirrors: { "https://docker.io": ["https://ok.example"], "ghcr.io": ["ftp://x", "not a url"] },
      };
      s.controlPlane = { ...s.controlPlane, loadBalancer: { interface: "an-interface-name-too-long" } };
    });
    expect(codes(spec).sort()).toStrictEqual(
      [
        "INVALID_REGISTRY_MIRROR",
        "INVALID_REGISTRY_MIRROR",
        "INVALID_REGISTRY_MIRROR",
        "INVALID_VALUE",
      ].sort(),
    );
  });

  it("reports every node-runtime problem at once through resolveClusterSpec", () => {
    const spec = defaultSpec();
    spec.kubernetesVersion = "1.33.7";
    spec.networking = { sysctls: { "kernel.panic": 0 } };
    spec.controlPlane = { endpoint: { host: "api.example.internal", port: 6443 } };
    try {
      resolveClusterSpec(spec);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SpecValidationError);
      expect((e as SpecValidationError).codes.sort()).toStrictEqual(
        ["ENDPOINT_NOT_IPV4", "NO_PINNED_CHECKSUM", "SYSCTL_CONFLICT"].sort(),
      );
    }
  });
});
