import { describe, expect, it } from "vitest";
import { paths } from "../../lib/paths";
import { secretPathsOf } from "../../lib/pki/plan";
import { defaultSpec, nodeOf, render } from "../util";

describe("PKI plan", () => {
  const { cluster, rendered } = render(defaultSpec());
  const plan = cluster.pki;
  const certOf = (node: string, id: string) => {
    const c = plan.nodes.find((n) => n.node === node)?.certificates.find((x) => x.id === id);
    if (!c) throw new Error(`${node}/${id}`);
    return c;
  };

  it("has the three CAs with 10-year validity", () => {
    expect(plan.authorities.map((a) => [a.id, a.validityDays])).toStrictEqual([
      ["kubernetes-ca", 3650],
      ["etcd-ca", 3650],
      ["front-proxy-ca", 3650],
    ]);
  });

  it("gives the API server certificate every name clients use", () => {
    const c = certOf("cp-2", "apiserver");
    expect(c.dnsNames).toStrictEqual([
      "cp-2",
      "kubernetes",
      "kubernetes.default",
      "kubernetes.default.svc",
      "kubernetes.default.svc.cluster.local",
    ]);
    expect(c.ipAddresses).toStrictEqual(["10.96.0.1", "192.0.2.12", "192.0.2.10"]);
    expect(c.extendedKeyUsages).toStrictEqual(["serverAuth"]);
    expect(c.keyUsages).toStrictEqual(["digitalSignature"]);
    expect(c.validityDays).toBe(365);
  });

  it("adds a DNS endpoint as a DNS name, not an IP", () => {
    const spec = defaultSpec();
    spec.controlPlane = {
      endpoint: { host: "api.k8s.example.internal" },
      loadBalancer: { provider: "external" },
    };
    const { cluster: c } = render(spec);
    const api = c.pki.nodes[0]?.certificates.find((x) => x.id === "apiserver");
    expect(api?.dnsNames).toContain("api.k8s.example.internal");
    expect(api?.ipAddresses).toStrictEqual(["10.96.0.1", "192.0.2.11"]);
  });

  it("issues etcd server and peer certificates for loopback and the member address", () => {
    const c = certOf("cp-1", "etcd-peer");
    expect(c.ca).toBe("etcd-ca");
    expect(c.ipAddresses).toStrictEqual(["192.0.2.11", "127.0.0.1"]);
    expect(c.extendedKeyUsages).toStrictEqual(["serverAuth", "clientAuth"]);
  });

  it("gives kubelets node identities in system:nodes", () => {
    const c = certOf("worker-3", "kubelet-client");
    expect(c.commonName).toBe("system:node:worker-3");
    expect(c.organizations).toStrictEqual(["system:nodes"]);
    expect(c.certPath).toBe(paths.kubeletClientCurrent);
    expect(certOf("worker-3", "kubelet-serving").ipAddresses).toStrictEqual(["192.0.2.23"]);
  });

  it("keeps the super-admin identity off every node", () => {
    expect(plan.users.map((u) => [u.id, u.organizations])).toStrictEqual([
      ["admin", ["kubeforge:cluster-admins"]],
      ["super-admin", ["system:masters"]],
    ]);
    for (const n of plan.nodes) {
      for (const c of n.certificates) expect(c.organizations).not.toContain("system:masters");
    }
  });

  it("workers get no CA keys, control-plane nodes only the cluster CA key", () => {
    const worker = plan.nodes.find((n) => n.node === "worker-1");
    expect(worker?.caKeys).toStrictEqual([]);
    expect(worker?.serviceAccountKeys).toBe(false);
    expect(worker?.certificates.map((c) => c.id)).toStrictEqual(["kubelet-client", "kubelet-serving"]);
    expect(plan.nodes.find((n) => n.node === "cp-1")?.caKeys).toStrictEqual(["kubernetes-ca"]);
  });

  it("uses keyEncipherment only for RSA keys", () => {
    const spec = defaultSpec();
    spec.pki = { keyAlgorithm: "rsa-2048" };
    const { cluster: c } = render(spec);
    expect(c.pki.nodes[0]?.certificates[0]?.keyUsages).toStrictEqual(["digitalSignature", "keyEncipherment"]);
  });

  it("lists exactly the plan's secret paths on each rendered node", () => {
    for (const n of plan.nodes) {
      const extra = n.node.startsWith("cp-") ? [paths.encryptionConfig] : [];
      expect(nodeOf(rendered, n.node).secretPaths).toStrictEqual(secretPathsOf(plan, n, extra));
    }
  });
});
