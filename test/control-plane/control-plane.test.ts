import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { paths } from "../../lib/paths";
import { STRONG_CIPHER_SUITES } from "../../lib/security/tls";
import { defaultSpec, fileOf, podFlags, render, singleNodeSpec } from "../util";

function manifest(spec: ReturnType<typeof defaultSpec>, node: string, name: string): Record<string, unknown> {
  const { rendered } = render(spec);
  return parse(fileOf(rendered, node, `/etc/kubernetes/manifests/${name}.yaml`)) as Record<string, unknown>;
}

interface PodShape {
  spec: {
    hostNetwork: boolean;
    priorityClassName: string;
    securityContext: { seccompProfile: { type: string } };
    containers: {
      image: string;
      command: string[];
      volumeMounts: { name: string; mountPath: string; readOnly: boolean }[];
      livenessProbe: { httpGet: { path: string; port: number; scheme: string; host: string } };
      readinessProbe?: { httpGet: { path: string } };
      resources: { requests: { cpu: string } };
    }[];
    volumes: { name: string; hostPath: { path: string } }[];
  };
}

describe("kube-apiserver", () => {
  const pod = manifest(defaultSpec(), "cp-2", "kube-apiserver");
  const flags = podFlags(pod);

  it("keeps kubeadm's baseline", () => {
    expect(flags.get("advertise-address")).toBe("192.0.2.12");
    expect(flags.get("authorization-mode")).toBe("Node,RBAC");
    expect(flags.get("secure-port")).toBe("6443");
    expect(flags.get("service-cluster-ip-range")).toBe("10.96.0.0/12");
    expect(flags.get("service-account-issuer")).toBe("https://kubernetes.default.svc.cluster.local");
    expect(flags.get("requestheader-allowed-names")).toBe("front-proxy-client");
    expect(flags.get("etcd-servers")).toBe(
      "https://127.0.0.1:2379,https://192.0.2.11:2379,https://192.0.2.13:2379",
    );
  });

  it("is hardened per the CIS benchmark", () => {
    expect(flags.get("profiling")).toBe("false");
    expect(flags.has("anonymous-auth")).toBe(false);
    expect(flags.get("authentication-config")).toBe(paths.authenticationConfig);
    expect(flags.get("kubelet-certificate-authority")).toBe(paths.caCert);
    expect(flags.get("enable-admission-plugins")).toContain("NodeRestriction");
    expect(flags.get("audit-log-path")).toBe("/var/log/kubernetes/audit/audit.log");
    expect(flags.get("audit-log-maxage")).toBe("30");
    expect(flags.get("audit-log-maxbackup")).toBe("10");
    expect(flags.get("audit-log-maxsize")).toBe("100");
    expect(flags.get("audit-policy-file")).toBe(paths.auditPolicy);
    expect(flags.get("encryption-provider-config")).toBe(paths.encryptionConfig);
    expect(flags.get("service-account-lookup")).toBe("true");
    expect(flags.get("tls-min-version")).toBe("VersionTLS12");
    expect(flags.get("tls-cipher-suites")?.split(",")).toStrictEqual(STRONG_CIPHER_SUITES);
    expect(flags.has("enable-bootstrap-token-auth")).toBe(false);
  });

  it("runs as a critical host-network pod with seccomp and probes", () => {
    const p = (pod as unknown as PodShape).spec;
    expect(p.hostNetwork).toBe(true);
    expect(p.priorityClassName).toBe("system-node-critical");
    expect(p.securityContext.seccompProfile.type).toBe("RuntimeDefault");
    const c = p.containers[0];
    expect(c?.image).toBe("registry.k8s.io/kube-apiserver:v1.35.1");
    expect(c?.livenessProbe.httpGet).toMatchObject({
      path: "/livez",
      port: 6443,
      scheme: "HTTPS",
      host: "192.0.2.12",
    });
    expect(c?.readinessProbe?.httpGet.path).toBe("/readyz");
    expect(c?.resources.requests.cpu).toBe("250m");
  });

  it("mounts every file a flag names, read-only except the audit log", () => {
    const c = (pod as unknown as PodShape).spec.containers[0];
    if (!c) throw new Error("no container");
    for (const [flag, value] of flags) {
      for (const part of value.split(",").filter((v) => v.startsWith("/"))) {
        const mount = c.volumeMounts.find((m) => part === m.mountPath || part.startsWith(`${m.mountPath}/`));
        expect(mount, `--${flag}=${part}`).toBeDefined();
        if (flag !== "audit-log-path") expect(mount?.readOnly, `--${flag}`).toBe(true);
      }
    }
  });

  it("turns protections off only when named, and then drops their flags", () => {
    const spec = defaultSpec();
    spec.security = {
      anonymousAuth: true,
      profiling: true,
      auditLog: { enabled: false },
      encryptionAtRest: { enabled: false },
    };
    const { rendered } = render(spec);
    const f = podFlags(parse(fileOf(rendered, "cp-1", "/etc/kubernetes/manifests/kube-apiserver.yaml")));
    expect(f.get("anonymous-auth")).toBe("true");
    expect(f.has("authentication-config")).toBe(false);
    expect(f.get("profiling")).toBe("true");
    expect(f.has("audit-log-path")).toBe(false);
    expect(f.has("encryption-provider-config")).toBe(false);
    const files = rendered.nodes.find((n) => n.name === "cp-1")?.files.map((x) => x.path) ?? [];
    expect(files).not.toContain(paths.auditPolicy);
    expect(files).not.toContain(paths.authenticationConfig);
  });
});

describe("authentication configuration", () => {
  it("allows anonymous requests to health endpoints only", () => {
    const { rendered } = render(defaultSpec());
    const doc = parse(fileOf(rendered, "cp-1", paths.authenticationConfig));
    expect(doc).toStrictEqual({
      apiVersion: "apiserver.config.k8s.io/v1",
      kind: "AuthenticationConfiguration",
      anonymous: {
        enabled: true,
        conditions: [{ path: "/healthz" }, { path: "/livez" }, { path: "/readyz" }],
      },
    });
  });

  it("uses v1beta1 on 1.33, where v1 is not served yet", () => {
    const spec = defaultSpec();
    spec.kubernetesVersion = "1.33";
    const { rendered } = render(spec);
    expect(parse(fileOf(rendered, "cp-1", paths.authenticationConfig)).apiVersion).toBe(
      "apiserver.config.k8s.io/v1beta1",
    );
  });
});

describe("kube-controller-manager", () => {
  const flags = podFlags(manifest(defaultSpec(), "cp-1", "kube-controller-manager"));
  it("allocates node CIDRs from the pod network and is hardened", () => {
    expect(flags.get("allocate-node-cidrs")).toBe("true");
    expect(flags.get("cluster-cidr")).toBe("10.244.0.0/16");
    expect(flags.get("node-cidr-mask-size")).toBe("24");
    expect(flags.get("service-cluster-ip-range")).toBe("10.96.0.0/12");
    expect(flags.get("bind-address")).toBe("127.0.0.1");
    expect(flags.get("profiling")).toBe("false");
    expect(flags.get("use-service-account-credentials")).toBe("true");
    expect(flags.get("service-account-private-key-file")).toBe(paths.serviceAccountKey);
    expect(flags.get("root-ca-file")).toBe(paths.caCert);
    expect(flags.get("terminated-pod-gc-threshold")).toBe("1000");
    expect(flags.get("kubeconfig")).toBe(paths.controllerManagerKubeconfig);
  });
});

describe("kube-scheduler", () => {
  it("binds to loopback and keeps deprecated flags in its configuration file", () => {
    const { rendered } = render(defaultSpec());
    const flags = podFlags(parse(fileOf(rendered, "cp-3", "/etc/kubernetes/manifests/kube-scheduler.yaml")));
    expect(flags.get("bind-address")).toBe("127.0.0.1");
    expect(flags.get("config")).toBe(paths.schedulerConfig);
    expect(flags.has("kubeconfig")).toBe(false);
    expect(flags.has("profiling")).toBe(false);
    expect(parse(fileOf(rendered, "cp-3", paths.schedulerConfig))).toStrictEqual({
      apiVersion: "kubescheduler.config.k8s.io/v1",
      kind: "KubeSchedulerConfiguration",
      clientConnection: { kubeconfig: paths.schedulerKubeconfig },
      enableProfiling: false,
      enableContentionProfiling: false,
      leaderElection: { leaderElect: true },
    });
  });
});

describe("kubeconfigs", () => {
  it("refer to credentials by path and point at the right server", () => {
    const { rendered } = render(defaultSpec());
    const cm = parse(fileOf(rendered, "cp-2", paths.controllerManagerKubeconfig));
    expect(cm.clusters[0].cluster.server).toBe("https://192.0.2.12:6443");
    expect(cm.users[0].user).toStrictEqual({
      "client-certificate": paths.controllerManagerClientCert,
      "client-key": paths.controllerManagerClientKey,
    });
    const kubelet = parse(fileOf(rendered, "worker-1", paths.kubeletKubeconfig));
    expect(kubelet.clusters[0].cluster.server).toBe("https://192.0.2.10:6443");
    expect(kubelet.users[0].name).toBe("system:node:worker-1");
    const admin = parse(fileOf(rendered, "cp-1", paths.adminKubeconfig));
    expect(admin["current-context"]).toBe("kubeforge-admin@kubeforge");
  });

  it("a single control-plane node without an endpoint is its own endpoint", () => {
    const { rendered } = render(singleNodeSpec());
    const kubelet = parse(fileOf(rendered, "node-1", paths.kubeletKubeconfig));
    expect(kubelet.clusters[0].cluster.server).toBe("https://192.0.2.50:6443");
  });
});
