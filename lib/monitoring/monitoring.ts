import { ApiObject, Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-27";
import type { Construct } from "constructs";
import { toYaml } from "../host/node-file";
import { KUBELET_PKI_DIR, paths } from "../paths";
import { oneAtATime } from "../private/rollout";
import type { ClusterModel } from "../spec/model";
import {
  alertRuleGroups,
  ETCD_METRICS_PROXY_PORT,
  ETCD_METRICS_UPSTREAM,
  KUBE_PROXY_METRICS_PROXY_PORT,
  KUBE_PROXY_METRICS_UPSTREAM,
  KUBE_RBAC_PROXY_IMAGE,
  MONITORING_NAMESPACE as namespace,
  PROMETHEUS_CONFIG_MAP,
  PROMETHEUS_SERVICE_ACCOUNT,
  scrapeConfigs,
} from "./prometheus";

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
}

const METRICS_READER_ROLE = "kubeforge:metrics-reader";
const PROXY_NAME = "kubeforge-metrics-proxy";
const RBAC = "rbac.authorization.k8s.io";
const TOKEN_SECRET = "kubeforge-prometheus-token";

/** A hardened container: no privilege escalation, no capabilities, read-only root. */
const HARDENED: k8s.SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  readOnlyRootFilesystem: true,
};

/**
 * Metrics made scrapable without widening any bind address:
 * - a least-privilege scraper identity (`kubeforge-prometheus`: GET `/metrics`, `nodes/metrics`, and
 *   the discovery reads Prometheus needs) — authenticated HTTPS scrapes of the API server and
 *   kubelets work with it directly;
 * - node-local kube-rbac-proxy DaemonSets on the host network that serve the loopback-only endpoints
 *   (etcd 127.0.0.1:2381, kube-proxy 127.0.0.1:10249) on the node address over TLS, admitting only
 *   callers whose token passes a TokenReview and a SubjectAccessReview for GET `/metrics`;
 * - a ConfigMap with the Prometheus scrape configuration and alert rules;
 * - with `monitoring.prometheusOperator`, ServiceMonitors, PodMonitors and a PrometheusRule.
 * The proxies present the node's kubelet serving certificate (cluster CA, node address in its SANs),
 * so scrapers verify them like kubelets.
 * @see https://github.com/brancz/kube-rbac-proxy
 */
export class Monitoring extends Chart {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { model } = props;
    const etcdNodes = model.etcdMembers.map((m) => m.name);

    // The scraper identity.
    new k8s.KubeServiceAccount(this, "prometheus-sa", {
      metadata: { name: PROMETHEUS_SERVICE_ACCOUNT, namespace },
    });
    new k8s.KubeClusterRole(this, "metrics-reader", {
      metadata: { name: METRICS_READER_ROLE },
      rules: [
        { nonResourceUrLs: ["/metrics"], verbs: ["get"] },
        { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
        {
          apiGroups: [""],
          resources: ["nodes", "services", "endpoints", "pods"],
          verbs: ["get", "list", "watch"],
        },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, "metrics-reader-binding", {
      metadata: { name: METRICS_READER_ROLE },
      roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: METRICS_READER_ROLE },
      subjects: [{ kind: "ServiceAccount", name: PROMETHEUS_SERVICE_ACCOUNT, namespace }],
    });

    // The proxies' own identity: they only ask the API server who a caller is and what it may do.
    new k8s.KubeServiceAccount(this, "proxy-sa", { metadata: { name: PROXY_NAME, namespace } });
    new k8s.KubeClusterRole(this, "proxy-role", {
      metadata: { name: "kubeforge:metrics-proxy" },
      rules: [
        { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
        { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, "proxy-binding", {
      metadata: { name: "kubeforge:metrics-proxy" },
      roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "kubeforge:metrics-proxy" },
      subjects: [{ kind: "ServiceAccount", name: PROXY_NAME, namespace }],
    });

    const serving = model.spec.kubelet.serverTLSBootstrap
      ? {
          cert: `${KUBELET_PKI_DIR}/kubelet-server-current.pem`,
          key: `${KUBELET_PKI_DIR}/kubelet-server-current.pem`,
        }
      : { cert: paths.kubeletServingCert, key: paths.kubeletServingKey };
    const proxyDaemonSet = (
      name: string,
      component: string,
      port: number,
      upstream: string,
      affinity?: k8s.Affinity,
    ) => {
      const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": component };
      new k8s.KubeDaemonSet(this, name, {
        metadata: { name, namespace, labels },
        spec: {
          selector: { matchLabels: labels },
          updateStrategy: oneAtATime(),
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: PROXY_NAME,
              priorityClassName: "system-node-critical",
              // The upstreams listen on the host's loopback; kube-system is exempt from Pod Security.
              hostNetwork: true,
              nodeSelector: { "kubernetes.io/os": "linux" },
              tolerations: [{ operator: "Exists" }],
              affinity,
              // Root without capabilities: the kubelet key is root's and mode 0600.
              securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "kube-rbac-proxy",
                  image: KUBE_RBAC_PROXY_IMAGE,
                  imagePullPolicy: "IfNotPresent",
                  args: [
                    `--secure-listen-address=$(NODE_IP):${port}`,
                    `--upstream=${upstream}`,
                    "--allow-paths=/metrics",
                    `--tls-cert-file=${serving.cert}`,
                    `--tls-private-key-file=${serving.key}`,
                    "--tls-min-version=VersionTLS12",
                  ],
                  env: [{ name: "NODE_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }],
                  ports: [{ name: "https-metrics", containerPort: port, protocol: "TCP" }],
                  resources: {
                    requests: {
                      cpu: k8s.Quantity.fromString("10m"),
                      memory: k8s.Quantity.fromString("20Mi"),
                    },
                    limits: { memory: k8s.Quantity.fromString("64Mi") },
                  },
                  securityContext: HARDENED,
                  volumeMounts: [{ name: "kubelet-pki", mountPath: KUBELET_PKI_DIR, readOnly: true }],
                },
              ],
              volumes: [{ name: "kubelet-pki", hostPath: { path: KUBELET_PKI_DIR, type: "Directory" } }],
            },
          },
        },
      });
      return labels;
    };
    const proxyLabels = proxyDaemonSet(
      PROXY_NAME,
      "kube-proxy",
      KUBE_PROXY_METRICS_PROXY_PORT,
      KUBE_PROXY_METRICS_UPSTREAM,
    );
    const etcdLabels = proxyDaemonSet(
      "kubeforge-etcd-metrics-proxy",
      "etcd",
      ETCD_METRICS_PROXY_PORT,
      ETCD_METRICS_UPSTREAM,
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: etcdNodes }] },
            ],
          },
        },
      },
    );

    const rules = alertRuleGroups();
    new k8s.KubeConfigMap(this, "prometheus-config", {
      metadata: { name: PROMETHEUS_CONFIG_MAP, namespace },
      data: {
        "scrape-configs.yaml": toYaml({ scrape_configs: scrapeConfigs(etcdNodes) }),
        "alert-rules.yaml": toYaml({ groups: rules }),
      },
    });

    if (model.spec.monitoring.prometheusOperator) {
      this.operatorObjects(proxyLabels, etcdLabels, rules);
    }
  }

  /** prometheus-operator objects for the same targets; cdk8s-plus has no typed classes for these CRDs. */
  private operatorObjects(
    proxyLabels: Record<string, string>,
    etcdLabels: Record<string, string>,
    rules: ReturnType<typeof alertRuleGroups>,
  ): void {
    const apiVersion = "monitoring.coreos.com/v1";
    // ServiceMonitors read the token Prometheus runs with (run it as kubeforge-prometheus) and trust
    // the cluster CA from the ConfigMap every namespace has.
    const tls = { ca: { configMap: { name: "kube-root-ca.crt", key: "ca.crt" } } };
    const tokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    const https = { scheme: "https", bearerTokenFile: tokenFile, tlsConfig: tls };
    new ApiObject(this, "sm-apiserver", {
      apiVersion,
      kind: "ServiceMonitor",
      metadata: { name: "kubeforge-apiserver", namespace },
      spec: {
        jobLabel: "component",
        namespaceSelector: { matchNames: ["default"] },
        selector: { matchLabels: { component: "apiserver", provider: "kubernetes" } },
        endpoints: [{ port: "https", ...https, tlsConfig: { ...tls, serverName: "kubernetes" } }],
      },
    });
    new ApiObject(this, "sm-kubelet", {
      apiVersion,
      kind: "ServiceMonitor",
      metadata: { name: "kubeforge-kubelet", namespace },
      spec: {
        // The Service the operator maintains with --kubelet-service=kube-system/kubelet.
        namespaceSelector: { matchNames: ["kube-system"] },
        selector: { matchLabels: { "app.kubernetes.io/name": "kubelet" } },
        endpoints: [
          {
            port: "https-metrics",
            ...https,
            relabelings: [{ sourceLabels: ["__meta_kubernetes_node_name"], targetLabel: "node" }],
          },
          { port: "https-metrics", path: "/metrics/cadvisor", ...https },
        ],
      },
    });
    new ApiObject(this, "sm-coredns", {
      apiVersion,
      kind: "ServiceMonitor",
      metadata: { name: "kubeforge-coredns", namespace },
      spec: {
        namespaceSelector: { matchNames: ["kube-system"] },
        selector: { matchLabels: { "k8s-app": "kube-dns" } },
        endpoints: [{ port: "metrics", scheme: "http" }],
      },
    });
    // PodMonitors cannot read a token file: the controller fills this Secret with a token of the scraper identity.
    new k8s.KubeSecret(this, "prometheus-token", {
      metadata: {
        name: TOKEN_SECRET,
        namespace,
        annotations: { "kubernetes.io/service-account.name": PROMETHEUS_SERVICE_ACCOUNT },
      },
      type: "kubernetes.io/service-account-token",
    });
    for (const [name, labels] of [
      ["kubeforge-kube-proxy", proxyLabels],
      ["kubeforge-etcd", etcdLabels],
    ] as const) {
      new ApiObject(this, `pm-${name}`, {
        apiVersion,
        kind: "PodMonitor",
        metadata: { name, namespace },
        spec: {
          // Job names match the scrape configuration's, so the alert rules apply to both.
          jobLabel: "app.kubernetes.io/component",
          namespaceSelector: { matchNames: [namespace] },
          selector: { matchLabels: labels },
          podMetricsEndpoints: [
            {
              port: "https-metrics",
              scheme: "https",
              authorization: { type: "Bearer", credentials: { name: TOKEN_SECRET, key: "token" } },
              tlsConfig: tls,
              relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: "node" }],
            },
          ],
        },
      });
    }
    new ApiObject(this, "rules", {
      apiVersion,
      kind: "PrometheusRule",
      metadata: { name: "kubeforge", namespace },
      spec: { groups: rules },
    });
  }
}
