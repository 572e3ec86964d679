import { ApiObject, Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-27";
import type { Construct } from "constructs";
import { oneAtATime } from "../private/rollout";

/** The metrics-server image, pinned. */
export const METRICS_SERVER_IMAGE = "registry.k8s.io/metrics-server/metrics-server:v0.8.0";
/** The cluster CA as every pod sees it (the controller-manager's root-ca-file: the CA of kubelet serving certificates). */
const CLUSTER_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
const RBAC = "rbac.authorization.k8s.io";
const PORT = 10250;

/**
 * The metrics-server arguments. Kubelets are reached on their InternalIP and their serving
 * certificates are verified against the cluster CA: kubeforge issues them from that CA with the node
 * address in their SANs (or the controller-manager signs them with `kubelet.serverTLSBootstrap`),
 * so no `--kubelet-insecure-tls`.
 * @see https://github.com/kubernetes-sigs/metrics-server#configuration
 */
export function metricsServerArgs(): string[] {
  return [
    "--cert-dir=/tmp",
    `--secure-port=${PORT}`,
    "--kubelet-preferred-address-types=InternalIP",
    "--kubelet-use-node-status-port",
    `--kubelet-certificate-authority=${CLUSTER_CA}`,
    "--metric-resolution=15s",
    "--tls-min-version=VersionTLS12",
  ];
}

/** Props of {@link MetricsServer}. */
export interface MetricsServerProps {
  /**
   * Replicas; 2 keeps `kubectl top` and autoscaling working through a node drain.
   * @default 2
   */
  readonly replicas?: number;
}

/**
 * metrics-server (the resource metrics API behind `kubectl top` and HorizontalPodAutoscalers) as an
 * add-on in kube-system: its RBAC (read nodes, pods and `nodes/metrics`; delegated authentication
 * and authorization), a Service, the `v1beta1.metrics.k8s.io` APIService and a hardened Deployment.
 * @see https://github.com/kubernetes-sigs/metrics-server
 */
export class MetricsServer extends Chart {
  readonly replicas: number;

  constructor(scope: Construct, id: string, props: MetricsServerProps = {}) {
    super(scope, id, { disableResourceNameHashes: true });
    this.replicas = props.replicas ?? 2;
    if (!Number.isInteger(this.replicas) || this.replicas < 1) {
      throw new RangeError(`metrics-server needs at least 1 replica, got ${this.replicas}`);
    }
    const namespace = "kube-system";
    const name = "metrics-server";
    const labels = { "k8s-app": name };

    new k8s.KubeServiceAccount(this, "service-account", { metadata: { name, namespace, labels } });
    new k8s.KubeClusterRole(this, "aggregated-reader", {
      metadata: {
        name: "system:aggregated-metrics-reader",
        labels: {
          ...labels,
          "rbac.authorization.k8s.io/aggregate-to-admin": "true",
          "rbac.authorization.k8s.io/aggregate-to-edit": "true",
          "rbac.authorization.k8s.io/aggregate-to-view": "true",
        },
      },
      rules: [
        { apiGroups: ["metrics.k8s.io"], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] },
      ],
    });
    new k8s.KubeClusterRole(this, "cluster-role", {
      metadata: { name: "system:metrics-server", labels },
      rules: [
        { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
        { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, "cluster-role-binding", {
      metadata: { name: "system:metrics-server", labels },
      roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "system:metrics-server" },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    });
    new k8s.KubeClusterRoleBinding(this, "auth-delegator", {
      metadata: { name: "metrics-server:system:auth-delegator", labels },
      roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "system:auth-delegator" },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    });
    new k8s.KubeRoleBinding(this, "auth-reader", {
      metadata: { name: "metrics-server-auth-reader", namespace, labels },
      roleRef: { apiGroup: RBAC, kind: "Role", name: "extension-apiserver-authentication-reader" },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    });
    new k8s.KubeService(this, "service", {
      metadata: { name, namespace, labels },
      spec: {
        selector: labels,
        ports: [
          { name: "https", port: 443, protocol: "TCP", targetPort: k8s.IntOrString.fromString("https") },
        ],
      },
    });
    new k8s.KubePodDisruptionBudget(this, "pdb", {
      metadata: { name, namespace, labels },
      spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
    });
    const probe = (path: string): k8s.Probe => ({
      httpGet: { path, port: k8s.IntOrString.fromString("https"), scheme: "HTTPS" },
      periodSeconds: 10,
      failureThreshold: 3,
    });
    new k8s.KubeDeployment(this, "deployment", {
      metadata: { name, namespace, labels },
      spec: {
        replicas: this.replicas,
        selector: { matchLabels: labels },
        strategy: oneAtATime(),
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            priorityClassName: "system-cluster-critical",
            nodeSelector: { "kubernetes.io/os": "linux" },
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchLabels: labels },
                      topologyKey: "kubernetes.io/hostname",
                    },
                  },
                ],
              },
            },
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
              {
                name,
                image: METRICS_SERVER_IMAGE,
                imagePullPolicy: "IfNotPresent",
                args: metricsServerArgs(),
                ports: [{ name: "https", containerPort: PORT, protocol: "TCP" }],
                livenessProbe: probe("/livez"),
                readinessProbe: { ...probe("/readyz"), initialDelaySeconds: 20 },
                resources: {
                  requests: {
                    cpu: k8s.Quantity.fromString("100m"),
                    memory: k8s.Quantity.fromString("200Mi"),
                  },
                  limits: { memory: k8s.Quantity.fromString("400Mi") },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                },
                volumeMounts: [{ name: "tmp-dir", mountPath: "/tmp" }],
              },
            ],
            volumes: [{ name: "tmp-dir", emptyDir: {} }],
          },
        },
      },
    });
    // metrics-server serves a self-signed certificate it makes at start, so the aggregator cannot
    // pin a CA bundle: upstream's choice, and the reason the APIService skips verification.
    new ApiObject(this, "api-service", {
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: "v1beta1.metrics.k8s.io", labels },
      spec: {
        group: "metrics.k8s.io",
        version: "v1beta1",
        groupPriorityMinimum: 100,
        versionPriority: 100,
        insecureSkipTLSVerify: true,
        service: { name, namespace, port: 443 },
      },
    });
  }
}
