import { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-27";
import type { Construct } from "constructs";
import { oneAtATime } from "../private/rollout";
import type { ClusterModel } from "../spec/model";

/** CoreDNS serves Prometheus metrics on this port (the `prometheus` plugin). */
export const COREDNS_METRICS_PORT = 9153;
/** The `health` plugin's port (liveness) and the `ready` plugin's port (readiness). */
const HEALTH_PORT = 8080;
const READY_PORT = 8181;
/** The nonroot user of the CoreDNS image; numeric so the kubelet can verify runAsNonRoot. */
const NONROOT_UID = 65532;

/** Props of {@link CoreDns}. */
export interface CoreDnsProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
  /**
   * Number of CoreDNS replicas, spread across nodes.
   * @default 2
   */
  readonly replicas?: number;
}

/**
 * The Corefile: kubeadm's, with the cluster domain from the spec. Cluster answers are not cached
 * (the kubernetes plugin already answers from its watch cache), upstream queries go to the
 * node's resolvers.
 * @see https://coredns.io/plugins/kubernetes/
 */
export function corefile(dnsDomain: string): string {
  return [
    ".:53 {",
    "    errors",
    "    health {",
    "       lameduck 5s",
    "    }",
    "    ready",
    `    kubernetes ${dnsDomain} in-addr.arpa ip6.arpa {`,
    "       pods insecure",
    "       fallthrough in-addr.arpa ip6.arpa",
    "       ttl 30",
    "    }",
    `    prometheus :${COREDNS_METRICS_PORT}`,
    "    forward . /etc/resolv.conf {",
    "       max_concurrent 1000",
    "    }",
    "    cache 30 {",
    `       disable success ${dnsDomain}`,
    `       disable denial ${dnsDomain}`,
    "    }",
    "    loop",
    "    reload",
    "    loadbalance",
    "}",
    "",
  ].join("\n");
}

/**
 * Cluster DNS as kubeadm installs it (Deployment `coredns`, Service `kube-dns`, RBAC), hardened:
 * a non-root pod with a read-only root filesystem and only NET_BIND_SERVICE, a disruption budget
 * so drains keep one replica serving, and anti-affinity so replicas land on different nodes.
 * The Service address is the model's 10th service address, the one every kubelet's clusterDNS names.
 * @see https://kubernetes.io/docs/tasks/administer-cluster/coredns/
 */
export class CoreDns extends Chart {
  /** The kube-dns Service ClusterIP. */
  readonly clusterIp: string;
  readonly replicas: number;

  constructor(scope: Construct, id: string, props: CoreDnsProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { model } = props;
    this.replicas = props.replicas ?? 2;
    if (!Number.isInteger(this.replicas) || this.replicas < 2) {
      throw new RangeError(`CoreDNS needs at least 2 replicas to survive a node drain, got ${this.replicas}`);
    }
    this.clusterIp = model.dnsServiceIp;
    const namespace = "kube-system";
    const name = "coredns";
    const labels = { "k8s-app": "kube-dns" };

    new k8s.KubeServiceAccount(this, "service-account", { metadata: { name, namespace } });
    new k8s.KubeClusterRole(this, "cluster-role", {
      metadata: { name: "system:coredns" },
      rules: [
        {
          apiGroups: [""],
          resources: ["endpoints", "services", "pods", "namespaces"],
          verbs: ["list", "watch"],
        },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, "cluster-role-binding", {
      metadata: { name: "system:coredns" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    });
    new k8s.KubeConfigMap(this, "config", {
      metadata: { name, namespace },
      data: { Corefile: corefile(model.spec.networking.dnsDomain) },
    });

    const port = (portName: string, number: number, protocol: "TCP" | "UDP") => ({
      name: portName,
      port: number,
      protocol,
      targetPort: k8s.IntOrString.fromNumber(number),
    });
    new k8s.KubeService(this, "service", {
      metadata: {
        name: "kube-dns",
        namespace,
        labels: { ...labels, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" },
        annotations: { "prometheus.io/port": String(COREDNS_METRICS_PORT), "prometheus.io/scrape": "true" },
      },
      spec: {
        clusterIp: this.clusterIp,
        selector: labels,
        ports: [
          port("dns", 53, "UDP"),
          port("dns-tcp", 53, "TCP"),
          port("metrics", COREDNS_METRICS_PORT, "TCP"),
        ],
      },
    });
    new k8s.KubePodDisruptionBudget(this, "pdb", {
      metadata: { name, namespace, labels },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
    });

    const httpProbe = (path: string, portName: string): k8s.Probe => ({
      httpGet: { path, port: k8s.IntOrString.fromString(portName), scheme: "HTTP" },
    });
    new k8s.KubeDeployment(this, "deployment", {
      metadata: { name, namespace, labels },
      spec: {
        replicas: this.replicas,
        strategy: oneAtATime(),
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: "system-cluster-critical",
            serviceAccountName: name,
            affinity: {
              podAntiAffinity: {
                // Preferred, not required: a one-node cluster still runs both replicas.
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: {
                        matchExpressions: [{ key: "k8s-app", operator: "In", values: ["kube-dns"] }],
                      },
                      topologyKey: "kubernetes.io/hostname",
                    },
                  },
                ],
              },
            },
            tolerations: [
              { key: "CriticalAddonsOnly", operator: "Exists" },
              { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
            ],
            nodeSelector: { "kubernetes.io/os": "linux" },
            securityContext: {
              runAsNonRoot: true,
              runAsUser: NONROOT_UID,
              runAsGroup: NONROOT_UID,
              seccompProfile: { type: "RuntimeDefault" },
            },
            // Upstream names resolve through the node's resolvers, not through CoreDNS itself.
            dnsPolicy: "Default",
            containers: [
              {
                name,
                image: model.images.coredns,
                imagePullPolicy: "IfNotPresent",
                args: ["-conf", "/etc/coredns/Corefile"],
                resources: {
                  limits: { memory: k8s.Quantity.fromString("170Mi") },
                  requests: { cpu: k8s.Quantity.fromString("100m"), memory: k8s.Quantity.fromString("70Mi") },
                },
                volumeMounts: [{ name: "config-volume", mountPath: "/etc/coredns", readOnly: true }],
                ports: [
                  { containerPort: 53, name: "dns", protocol: "UDP" },
                  { containerPort: 53, name: "dns-tcp", protocol: "TCP" },
                  { containerPort: COREDNS_METRICS_PORT, name: "metrics", protocol: "TCP" },
                  { containerPort: HEALTH_PORT, name: "liveness-probe", protocol: "TCP" },
                  { containerPort: READY_PORT, name: "readiness-probe", protocol: "TCP" },
                ],
                livenessProbe: {
                  ...httpProbe("/health", "liveness-probe"),
                  initialDelaySeconds: 60,
                  timeoutSeconds: 5,
                  successThreshold: 1,
                  failureThreshold: 5,
                },
                readinessProbe: httpProbe("/ready", "readiness-probe"),
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
                  readOnlyRootFilesystem: true,
                },
              },
            ],
            volumes: [
              { name: "config-volume", configMap: { name, items: [{ key: "Corefile", path: "Corefile" }] } },
            ],
          },
        },
      },
    });
  }
}
