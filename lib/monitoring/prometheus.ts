import { KUBE_PROXY_METRICS_ADDRESS } from "../networking/kube-proxy";
import { ETCD_LOCAL_METRICS_URL, KUBELET_PORT } from "../spec/model";

/** The kube-rbac-proxy image of the node-local metrics proxies, pinned. */
export const KUBE_RBAC_PROXY_IMAGE = "quay.io/brancz/kube-rbac-proxy:v0.19.0";
/** Node-address ports where the metrics proxies serve the loopback-only endpoints over authenticated TLS. */
export const ETCD_METRICS_PROXY_PORT = 12381;
export const KUBE_PROXY_METRICS_PROXY_PORT = 12249;
/** The loopback endpoints behind the proxies (etcd's `--listen-metrics-urls`, kube-proxy's `metricsBindAddress`). */
export const ETCD_METRICS_UPSTREAM = `${ETCD_LOCAL_METRICS_URL}/`;
export const KUBE_PROXY_METRICS_UPSTREAM = `http://${KUBE_PROXY_METRICS_ADDRESS}/`;
/** The scraper identity: a ServiceAccount bound to the metrics-reader ClusterRole. */
export const PROMETHEUS_SERVICE_ACCOUNT = "kubeforge-prometheus";
export const MONITORING_NAMESPACE = "kube-system";
/** The ConfigMap holding the scrape configuration and the alert rules. */
export const PROMETHEUS_CONFIG_MAP = "kubeforge-prometheus";

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** TLS and credentials of every authenticated job: the pod's own token, the cluster CA. */
const auth = {
  scheme: "https",
  authorization: { credentials_file: `${SA_DIR}/token` },
  tls_config: { ca_file: `${SA_DIR}/ca.crt` },
};

/** A node-role job whose target is the node's InternalIP on `port`. */
function nodeJob(job: string, port: number, keepNodes?: readonly string[]): Record<string, unknown> {
  const relabel: Record<string, unknown>[] = [];
  if (keepNodes) {
    relabel.push({
      source_labels: ["__meta_kubernetes_node_name"],
      regex: keepNodes.map((n) => n.replace(/[.]/g, "\\.")).join("|"),
      action: "keep",
    });
  }
  relabel.push(
    {
      source_labels: ["__meta_kubernetes_node_address_InternalIP"],
      regex: "(.+)",
      replacement: `$1:${port}`,
      target_label: "__address__",
    },
    { source_labels: ["__meta_kubernetes_node_name"], target_label: "node" },
  );
  return { job_name: job, ...auth, kubernetes_sd_configs: [{ role: "node" }], relabel_configs: relabel };
}

/**
 * Prometheus `scrape_configs` for the cluster, for a Prometheus running in the cluster with the
 * {@link PROMETHEUS_SERVICE_ACCOUNT} identity. Every HTTPS target is verified against the cluster CA:
 * the API server and kubelets serve cluster-CA certificates with the node address in their SANs, and
 * the metrics proxies serve the node's kubelet certificate.
 * @see https://prometheus.io/docs/prometheus/latest/configuration/configuration/#scrape_config
 */
export function scrapeConfigs(etcdNodes: readonly string[]): Record<string, unknown>[] {
  return [
    {
      job_name: "apiserver",
      ...auth,
      kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: ["default"] } }],
      relabel_configs: [
        {
          source_labels: ["__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"],
          regex: "kubernetes;https",
          action: "keep",
        },
      ],
    },
    { ...nodeJob("kubelet", KUBELET_PORT) },
    { ...nodeJob("cadvisor", KUBELET_PORT), metrics_path: "/metrics/cadvisor" },
    nodeJob("etcd", ETCD_METRICS_PROXY_PORT, etcdNodes),
    nodeJob("kube-proxy", KUBE_PROXY_METRICS_PROXY_PORT),
    {
      // CoreDNS serves plain HTTP on its pod address (the pod network), as upstream ships it.
      job_name: "coredns",
      kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: ["kube-system"] } }],
      relabel_configs: [
        {
          source_labels: ["__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"],
          regex: "kube-dns;metrics",
          action: "keep",
        },
      ],
    },
  ];
}

/** One Prometheus alerting rule. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: "warning" | "critical" };
  readonly annotations: { readonly summary: string };
}

const DAY = 86400;

/**
 * Alert rules: certificate expiry, etcd health and leader changes, API server errors and latency,
 * and node reachability. Node readiness uses `up{job="kubelet"}` (the kubelet answers its metrics
 * endpoint) because kube-state-metrics, which exports `kube_node_status_condition`, is not installed.
 */
export function alertRuleGroups(): { name: string; rules: AlertRule[] }[] {
  const rule = (
    alert: string,
    expr: string,
    forDuration: string,
    severity: "warning" | "critical",
    summary: string,
  ): AlertRule => ({ alert, expr, for: forDuration, labels: { severity }, annotations: { summary } });
  return [
    {
      name: "kubeforge.certificates",
      rules: [
        rule(
          "KubeforgeClientCertificateExpiring",
          `apiserver_client_certificate_expiration_seconds_count{job="apiserver"} > 0 and on (job) histogram_quantile(0.01, sum by (job, le) (rate(apiserver_client_certificate_expiration_seconds_bucket{job="apiserver"}[5m]))) < ${14 * DAY}`,
          "5m",
          "warning",
          "A client certificate used against the API server expires within 14 days: run 'kubeforge pki renew'.",
        ),
        rule(
          "KubeforgeKubeletClientCertificateExpiring",
          `kubelet_certificate_manager_client_ttl_seconds < ${14 * DAY}`,
          "5m",
          "warning",
          "The kubelet client certificate of {{ $labels.node }} expires within 14 days.",
        ),
      ],
    },
    {
      name: "kubeforge.etcd",
      rules: [
        rule(
          "KubeforgeEtcdMemberDown",
          `up{job="etcd"} == 0`,
          "3m",
          "critical",
          "etcd member on {{ $labels.node }} is not scrapable.",
        ),
        rule(
          "KubeforgeEtcdNoLeader",
          `etcd_server_has_leader{job="etcd"} == 0`,
          "1m",
          "critical",
          "etcd member on {{ $labels.node }} has no leader.",
        ),
        rule(
          "KubeforgeEtcdFrequentLeaderChanges",
          `increase(etcd_server_leader_changes_seen_total{job="etcd"}[15m]) > 3`,
          "5m",
          "warning",
          "etcd changed leader more than 3 times in 15 minutes (disk or network latency).",
        ),
      ],
    },
    {
      name: "kubeforge.apiserver",
      rules: [
        rule(
          "KubeforgeApiServerDown",
          `absent(up{job="apiserver"} == 1)`,
          "5m",
          "critical",
          "No API server is scrapable.",
        ),
        rule(
          "KubeforgeApiServerErrors",
          `sum(rate(apiserver_request_total{job="apiserver",code=~"5.."}[5m])) / sum(rate(apiserver_request_total{job="apiserver"}[5m])) > 0.03`,
          "10m",
          "warning",
          "More than 3% of API requests fail with a 5xx status.",
        ),
        rule(
          "KubeforgeApiServerLatency",
          `histogram_quantile(0.99, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket{job="apiserver",verb!~"WATCH|CONNECT"}[5m]))) > 1`,
          "10m",
          "warning",
          "99th percentile API request latency of {{ $labels.verb }} is above 1 s.",
        ),
      ],
    },
    {
      name: "kubeforge.nodes",
      rules: [
        rule(
          "KubeforgeNodeUnreachable",
          `up{job="kubelet"} == 0`,
          "5m",
          "critical",
          "The kubelet of {{ $labels.node }} does not answer: the node is likely NotReady.",
        ),
      ],
    },
  ];
}
