import {
  PodMonitor,
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runAudit } from "../../lib/audit/runner";
import { treeFromRendered } from "../../lib/audit/tree";
import {
  ETCD_METRICS_PROXY_PORT,
  ETCD_METRICS_UPSTREAM,
  KUBE_PROXY_METRICS_UPSTREAM,
  PROMETHEUS_SERVICE_ACCOUNT,
} from "../../lib/monitoring/prometheus";
import { KUBE_PROXY_METRICS_ADDRESS } from "../../lib/networking/kube-proxy";
import { validateObject } from "../schema-validate";
import { defaultSpec, render } from "../util";

type Obj = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

const OPERATOR = { ServiceMonitor, PodMonitor, PrometheusRule } as const;

function chart(spec = defaultSpec(), name = "monitoring"): Obj[] {
  const group = render(spec).rendered.clusterObjects.find((g) => g.name === `${name}.yaml`);
  return (group?.objects ?? []) as Obj[];
}

function validate(o: Obj): void {
  const Model = OPERATOR[o.kind as keyof typeof OPERATOR];
  if (Model) new Model(structuredClone(o) as never).validate();
  else validateObject(o);
}

const byKind = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);

describe("monitoring", () => {
  const objects = chart();

  it("is on by default and every object is valid against its official schema", () => {
    expect(objects.length).toBeGreaterThan(8);
    for (const o of objects) validate(o);
    expect(byKind(objects, "ServiceMonitor")).toStrictEqual([]);
  });

  it("gives the scraper only GET /metrics, nodes/metrics and discovery reads, and the proxies only reviews", () => {
    const roles = new Map(byKind(objects, "ClusterRole").map((r) => [r.metadata.name, r.rules]));
    expect(roles.get("kubeforge:metrics-reader")).toStrictEqual([
      { nonResourceURLs: ["/metrics"], verbs: ["get"] },
      { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
      {
        apiGroups: [""],
        resources: ["nodes", "services", "endpoints", "pods"],
        verbs: ["get", "list", "watch"],
      },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
    ]);
    expect(roles.get("kubeforge:metrics-proxy")).toStrictEqual([
      { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
      { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
    ]);
    const binding = byKind(objects, "ClusterRoleBinding").find(
      (b) => b.metadata.name === "kubeforge:metrics-reader",
    );
    expect(binding?.subjects).toStrictEqual([
      { kind: "ServiceAccount", name: PROMETHEUS_SERVICE_ACCOUNT, namespace: "kube-system" },
    ]);
  });

  it("proxies loopback-only endpoints on the node address with TLS, leaving their binds alone", () => {
    const daemonSets = byKind(objects, "DaemonSet");
    expect(daemonSets.map((d) => d.metadata.name).sort()).toStrictEqual([
      "kubeforge-etcd-metrics-proxy",
      "kubeforge-metrics-proxy",
    ]);
    const args = (d: Obj) =>
      (d as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } }).spec.template
        .spec.containers[0]?.args ?? [];
    for (const d of daemonSets) {
      const a = args(d);
      expect(a.find((x) => x.startsWith("--secure-listen-address="))).toMatch(
        /^--secure-listen-address=\$\(NODE_IP\):\d+$/,
      );
      expect(a).toContain("--allow-paths=/metrics");
      expect(a).toContain("--tls-cert-file=/var/lib/kubelet/pki/kubelet.crt");
      const upstream = a.find((x) => x.startsWith("--upstream="));
      expect(upstream).toMatch(/^--upstream=http:\/\/127\.0\.0\.1:/);
    }
    const etcd = daemonSets.find((d) => d.metadata.name === "kubeforge-etcd-metrics-proxy") as Obj;
    expect(args(etcd)).toContain(`--upstream=${ETCD_METRICS_UPSTREAM}`);
    expect(JSON.stringify(etcd)).toContain('"values":["cp-1","cp-2","cp-3"]');
    // The upstreams are where the synthesized components listen.
    const { rendered } = render(defaultSpec());
    const manifest = rendered.nodes
      .find((n) => n.name === "cp-1")
      ?.files.find((f) => f.path.endsWith("etcd.yaml"));
    expect(manifest?.content).toContain(`--listen-metrics-urls=${ETCD_METRICS_UPSTREAM.replace(/\/$/, "")}`);
    expect(KUBE_PROXY_METRICS_UPSTREAM).toBe(`http://${KUBE_PROXY_METRICS_ADDRESS}/`);
  });

  it("uses the kubelet-server-current.pem with kubelet.serverTLSBootstrap", () => {
    const spec = defaultSpec();
    spec.kubelet = { serverTLSBootstrap: true };
    expect(JSON.stringify(chart(spec))).toContain(
      "--tls-cert-file=/var/lib/kubelet/pki/kubelet-server-current.pem",
    );
  });

  it("ships a scrape configuration with verified TLS for every HTTPS job, and the alert rules", () => {
    const cm = byKind(objects, "ConfigMap")[0] as unknown as { data: Record<string, string> };
    const config = parse(cm.data["scrape-configs.yaml"] as string);
    const jobs = config.scrape_configs as {
      job_name: string;
      scheme?: string;
      tls_config?: { ca_file: string; insecure_skip_verify?: boolean };
    }[];
    expect(jobs.map((j) => j.job_name)).toStrictEqual([
      "apiserver",
      "kubelet",
      "cadvisor",
      "etcd",
      "kube-proxy",
      "coredns",
    ]);
    for (const j of jobs.filter((x) => x.scheme === "https")) {
      expect(j.tls_config?.ca_file).toBe("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
      expect(j.tls_config?.insecure_skip_verify).toBeUndefined();
    }
    expect(JSON.stringify(jobs.find((j) => j.job_name === "etcd"))).toContain(
      `$1:${ETCD_METRICS_PROXY_PORT}`,
    );
    const rules = parse(cm.data["alert-rules.yaml"] as string).groups.flatMap(
      (g: { rules: { alert: string; expr: string }[] }) => g.rules,
    );
    const exprs = rules.map((r: { expr: string }) => r.expr).join("\n");
    for (const metric of [
      "apiserver_client_certificate_expiration_seconds",
      "kubelet_certificate_manager_client_ttl_seconds",
      "etcd_server_has_leader",
      "etcd_server_leader_changes_seen_total",
      "apiserver_request_total",
      "apiserver_request_duration_seconds_bucket",
      'up{job="kubelet"}',
    ]) {
      expect(exprs, metric).toContain(metric);
    }
  });

  it("emits schema-valid ServiceMonitors, PodMonitors and a PrometheusRule with monitoring.prometheusOperator", () => {
    const spec = defaultSpec();
    spec.monitoring = { prometheusOperator: true };
    const objs = chart(spec);
    expect(byKind(objs, "ServiceMonitor").length).toBe(3);
    expect(byKind(objs, "PodMonitor").length).toBe(2);
    expect(byKind(objs, "PrometheusRule").length).toBe(1);
    for (const o of objs) validate(o);
    // The validator rejects a broken object, so the loop above is a real check.
    const bad = structuredClone(byKind(objs, "ServiceMonitor")[0]) as Obj;
    (bad as unknown as { spec: { endpoints: unknown } }).spec.endpoints = "x";
    expect(() => validate(bad)).toThrow();
  });

  it("is absent with monitoring.enabled: false", () => {
    const spec = defaultSpec();
    spec.monitoring = { enabled: false };
    expect(chart(spec)).toStrictEqual([]);
  });

  it("keeps the audit at 100% with every monitoring option on, and adds no wildcard or Secret read", () => {
    const spec = defaultSpec();
    spec.monitoring = { prometheusOperator: true, dashboard: true };
    const report = runAudit(treeFromRendered(render(spec).rendered));
    expect(report.score).toBe(100);
    const byId = new Map(report.results.map((r) => [r.id, r]));
    for (const id of ["5.1.2", "5.1.3", "5.1.8"]) expect(byId.get(id)?.status, id).toBe("PASS");
  });
});
