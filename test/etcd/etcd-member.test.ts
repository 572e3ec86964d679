import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { defaultSpec, fileOf, podFlags, render } from "../util";

function etcdFlagsOf(version?: string, etcdVersion?: string): Map<string, string> {
  const spec = defaultSpec();
  if (version) spec.kubernetesVersion = version;
  if (etcdVersion) spec.etcd = { version: etcdVersion };
  const { rendered } = render(spec);
  return podFlags(parse(fileOf(rendered, "cp-1", "/etc/kubernetes/manifests/etcd.yaml")));
}

describe("etcd member", () => {
  it("serves TLS with client-certificate auth on client and peer URLs, metrics on loopback", () => {
    const f = etcdFlagsOf();
    expect(f.get("name")).toBe("cp-1");
    expect(f.get("listen-client-urls")).toBe("https://127.0.0.1:2379,https://192.0.2.11:2379");
    expect(f.get("advertise-client-urls")).toBe("https://192.0.2.11:2379");
    expect(f.get("listen-peer-urls")).toBe("https://192.0.2.11:2380");
    expect(f.get("initial-advertise-peer-urls")).toBe("https://192.0.2.11:2380");
    expect(f.get("initial-cluster")).toBe(
      "cp-1=https://192.0.2.11:2380,cp-2=https://192.0.2.12:2380,cp-3=https://192.0.2.13:2380",
    );
    expect(f.get("client-cert-auth")).toBe("true");
    expect(f.get("peer-client-cert-auth")).toBe("true");
    expect(f.get("auto-tls")).toBe("false");
    expect(f.get("peer-auto-tls")).toBe("false");
    expect(f.get("listen-metrics-urls")).toBe("http://127.0.0.1:2381");
    expect(f.get("data-dir")).toBe("/var/lib/etcd");
  });

  it("uses 3.6 feature gates and renamed flags for etcd 3.6 (Kubernetes 1.35)", () => {
    const f = etcdFlagsOf("1.35");
    expect(f.get("feature-gates")).toBe("InitialCorruptCheck=true");
    expect(f.get("watch-progress-notify-interval")).toBe("5s");
    expect(f.has("experimental-initial-corrupt-check")).toBe(false);
    expect(f.has("experimental-watch-progress-notify-interval")).toBe(false);
    // deprecated in 3.6; its default is already 10000
    expect(f.has("snapshot-count")).toBe(false);
  });

  it("uses --experimental-* flags for etcd 3.5 (Kubernetes 1.33)", () => {
    const f = etcdFlagsOf("1.33");
    expect(f.get("experimental-initial-corrupt-check")).toBe("true");
    expect(f.get("experimental-watch-progress-notify-interval")).toBe("5s");
    expect(f.get("snapshot-count")).toBe("10000");
    expect(f.has("feature-gates")).toBe(false);
    expect(f.has("watch-progress-notify-interval")).toBe(false);
  });

  it("follows an etcd override, not the Kubernetes minor", () => {
    const f = etcdFlagsOf("1.35", "3.4.23");
    expect(f.get("experimental-initial-corrupt-check")).toBe("true");
    expect(f.has("feature-gates")).toBe(false);
    const { rendered } = render({ ...defaultSpec(), etcd: { version: "3.4.23" } });
    const pod = parse(fileOf(rendered, "cp-1", "/etc/kubernetes/manifests/etcd.yaml"));
    expect(pod.spec.containers[0].image).toBe("registry.k8s.io/etcd:3.4.23");
  });

  it("runs only on etcd members: workers and, with external etcd, control-plane nodes have none", () => {
    const spec = defaultSpec();
    spec.etcd = { topology: "external" };
    spec.nodes = [
      { name: "cp-1", roles: ["control-plane"], address: "192.0.2.11" },
      { name: "etcd-1", roles: ["etcd"], address: "192.0.2.31" },
      { name: "etcd-2", roles: ["etcd"], address: "192.0.2.32" },
      { name: "etcd-3", roles: ["etcd"], address: "192.0.2.33" },
      { name: "worker-1", roles: ["worker"], address: "192.0.2.21" },
    ];
    const { rendered } = render(spec);
    const has = (node: string) =>
      rendered.nodes.find((n) => n.name === node)?.files.some((f) => f.path.endsWith("manifests/etcd.yaml"));
    expect(has("etcd-2")).toBe(true);
    expect(has("cp-1")).toBe(false);
    expect(has("worker-1")).toBe(false);
    const api = podFlags(parse(fileOf(rendered, "cp-1", "/etc/kubernetes/manifests/kube-apiserver.yaml")));
    expect(api.get("etcd-servers")).toBe(
      "https://192.0.2.31:2379,https://192.0.2.32:2379,https://192.0.2.33:2379",
    );
  });
});
