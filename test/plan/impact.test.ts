import { describe, expect, it } from "vitest";
import { paths } from "../../lib/paths";
import {
  classifyFile,
  drainKey,
  IMPACT_RULES,
  type ImpactClass,
  installedArtifacts,
  staticPodReaders,
  worstImpact,
} from "../../lib/plan/impact";
import { BOOTSTRAP_SCRIPT } from "../../lib/worker/bootstrap";
import { defaultSpec, fileOf, nodeOf, render } from "../util";

const { rendered } = render(defaultSpec());
const bootstrap = fileOf(rendered, "worker-1", BOOTSTRAP_SCRIPT);
const bump = (script: string, name: string, to: string) =>
  script.replace(new RegExp(`^# ${name} \\S+$`, "m"), `# ${name} ${to}`);
const unit = fileOf(rendered, "worker-1", "/etc/systemd/system/kubelet.service.d/10-kubeforge.conf");

/** GIVEN a path and its content before and after, THEN the impact class (and restarted pods, drain). */
const table: {
  name: string;
  path: string;
  before?: string;
  after?: string;
  readers?: string[];
  impact: ImpactClass;
  pods?: string[];
  drain?: boolean;
}[] = [
  {
    name: "new kubelet version",
    path: BOOTSTRAP_SCRIPT,
    before: bootstrap,
    after: bump(bootstrap, "kubelet", "9.9.9"),
    impact: "kubelet-restart",
    drain: true,
  },
  {
    name: "new containerd version",
    path: BOOTSTRAP_SCRIPT,
    before: bootstrap,
    after: bump(bootstrap, "containerd", "9.9.9"),
    impact: "containerd-restart",
    drain: true,
  },
  {
    name: "new runc version",
    path: BOOTSTRAP_SCRIPT,
    before: bootstrap,
    after: bump(bootstrap, "runc", "9.9.9"),
    impact: "containerd-restart",
    drain: true,
  },
  {
    name: "new CNI plugins",
    path: BOOTSTRAP_SCRIPT,
    before: bootstrap,
    after: bump(bootstrap, "cni-plugins", "9.9.9"),
    impact: "hot-reload",
  },
  {
    name: "new kubectl only",
    path: BOOTSTRAP_SCRIPT,
    before: bootstrap,
    after: bump(bootstrap, "kubectl", "9.9.9"),
    impact: "no-op",
  },
  {
    name: "bootstrap carrying other files",
    path: BOOTSTRAP_SCRIPT,
    before: bootstrap,
    after: `${bootstrap}\n# x`,
    impact: "no-op",
  },
  {
    name: "cloud-init user data",
    path: "/etc/kubeforge/cloud-init.yaml",
    before: "a",
    after: "b",
    impact: "no-op",
  },
  {
    name: "static pod manifest",
    path: "/etc/kubernetes/manifests/kube-apiserver.yaml",
    before: "a",
    after: "b",
    impact: "static-pod-restart",
    pods: ["kube-apiserver"],
  },
  {
    name: "new static pod",
    path: "/etc/kubernetes/manifests/kube-vip.yaml",
    after: "b",
    impact: "static-pod-restart",
    pods: ["kube-vip"],
  },
  {
    name: "kubelet node IP",
    path: "/etc/systemd/system/kubelet.service.d/10-kubeforge.conf",
    before: unit,
    after: unit.replace("--node-ip=192.0.2.21", "--node-ip=192.0.2.99"),
    impact: "node-replacement",
  },
  {
    name: "kubelet hostname",
    path: "/etc/systemd/system/kubelet.service.d/10-kubeforge.conf",
    before: unit,
    after: unit.replace("--hostname-override=worker-1", "--hostname-override=w1"),
    impact: "node-replacement",
  },
  {
    name: "kubelet unit, other flag",
    path: "/etc/systemd/system/kubelet.service.d/10-kubeforge.conf",
    before: unit,
    after: `${unit} --v=2`,
    impact: "kubelet-restart",
  },
  {
    name: "KubeletConfiguration",
    path: "/var/lib/kubelet/config.yaml",
    before: "a",
    after: "b",
    impact: "kubelet-restart",
  },
  {
    name: "kubelet kubeconfig",
    path: paths.kubeletKubeconfig,
    before: "a",
    after: "b",
    impact: "kubelet-restart",
  },
  {
    name: "containerd config",
    path: "/etc/containerd/config.toml",
    before: "a",
    after: "b",
    impact: "containerd-restart",
  },
  {
    name: "containerd unit",
    path: "/etc/systemd/system/containerd.service",
    before: "a",
    after: "b",
    impact: "containerd-restart",
  },
  {
    name: "module added",
    path: "/etc/modules-load.d/kubeforge.conf",
    before: "overlay\n",
    after: "overlay\nip_vs\n",
    impact: "hot-reload",
  },
  {
    name: "module removed",
    path: "/etc/modules-load.d/kubeforge.conf",
    before: "overlay\nip_vs\n",
    after: "overlay\n",
    impact: "reboot",
  },
  {
    name: "sysctl value changed",
    path: "/etc/sysctl.d/99-kubeforge.conf",
    before: "a.b = 1\n",
    after: "a.b = 2\n",
    impact: "hot-reload",
  },
  {
    name: "sysctl removed",
    path: "/etc/sysctl.d/99-kubeforge.conf",
    before: "a.b = 1\nc.d = 2\n",
    after: "a.b = 1\n",
    impact: "reboot",
  },
  { name: "hosts block", path: "/etc/kubeforge/hosts", before: "a", after: "b", impact: "hot-reload" },
  {
    name: "audit policy read by the API server",
    path: "/etc/kubernetes/kubeforge/audit-policy.yaml",
    before: "a",
    after: "b",
    readers: ["kube-apiserver"],
    impact: "static-pod-restart",
    pods: ["kube-apiserver"],
  },
  {
    name: "admin kubeconfig (kubectl only)",
    path: paths.adminKubeconfig,
    before: "a",
    after: "b",
    impact: "no-op",
  },
];

describe("the classification table", () => {
  it.each(table)("$name → $impact", (row) => {
    const got = classifyFile({
      path: row.path,
      before: row.before,
      after: row.after,
      readers: row.readers ?? [],
    });
    expect(got.impact).toBe(row.impact);
    expect(got.pods).toStrictEqual(row.pods ?? []);
    expect(got.drain).toBe(row.drain ?? false);
  });

  it("covers every file the default cluster synthesizes with a specific rule or the reader rule", () => {
    const ids = new Set(IMPACT_RULES.map((r) => r.id));
    expect(ids.size).toBe(IMPACT_RULES.length);
    // The last rule matches anything, so no path is left unclassified.
    for (const node of rendered.nodes)
      for (const f of node.files)
        expect(() => classifyFile({ path: f.path, after: f.content, readers: [] })).not.toThrow();
  });

  it("orders impacts from no-op to node replacement", () => {
    expect(worstImpact([])).toBe("no-op");
    expect(worstImpact(["hot-reload", "reboot", "kubelet-restart"])).toBe("reboot");
  });
});

describe("what the bootstrap installs", () => {
  it("reads every pinned artifact version from the real script", () => {
    const got = installedArtifacts(bootstrap);
    expect(Object.keys(got).sort()).toStrictEqual([
      "cni-plugins",
      "containerd",
      "kubectl",
      "kubelet",
      "runc",
    ]);
    expect(got.kubelet).toBe("1.35.1");
    expect(drainKey(bootstrap)).toBe(`containerd=${got.containerd} kubelet=1.35.1 runc=${got.runc}`);
  });
});

describe("static pod readers", () => {
  it("finds the files each pod reads directly or through its kubeconfig", () => {
    const cp1 = nodeOf(rendered, "cp-1");
    const readers = staticPodReaders(cp1.files, [...cp1.secretPaths, ...cp1.files.map((f) => f.path)]);
    expect(readers["kube-apiserver"]).toContain("/etc/kubernetes/kubeforge/audit-policy.yaml");
    expect(readers["kube-scheduler"]).toContain(paths.schedulerKubeconfig);
    expect(readers["kube-scheduler"]).toContain(paths.schedulerClientKey);
    expect(readers["kube-apiserver"]).not.toContain(paths.schedulerClientKey);
    expect(readers.etcd).not.toContain("/etc/kubernetes/kubeforge/audit-policy.yaml");
  });
});
