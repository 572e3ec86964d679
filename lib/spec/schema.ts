import { z } from "zod";

/**
 * The structural schema of a cluster spec (`kubeforge.yaml` or TypeScript props): field types,
 * allowed values and defaults. Rules that relate fields to each other live in `validate.ts`.
 * Descriptions here become the JSON Schema used for editor completion.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const ipv4 = z
  .string()
  .describe("An IPv4 address, e.g. 192.0.2.11.")
  .check(z.ipv4({ message: "be an IPv4 address such as 192.0.2.11" }));

const cidr = z.string().describe("An IPv4 CIDR block, e.g. 10.96.0.0/12.");

export const RoleSchema = z
  .enum(["control-plane", "etcd", "worker"])
  .describe("A node role. control-plane runs the API server, controller-manager and scheduler.");

export const TaintSchema = z
  .strictObject({
    key: z.string().min(1).describe("Taint key, a qualified name."),
    value: z.string().optional().describe("Taint value."),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).describe("Taint effect."),
  })
  .describe("A node taint (https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/).");

export const NodeSchema = z
  .strictObject({
    name: z
      .string()
      .describe("Node name: a DNS label (lowercase letters, digits, '-'), unique in the cluster."),
    roles: z.array(RoleSchema).min(1).describe("What the node runs."),
    address: ipv4.describe("The node's internal IPv4 address: advertise, peer and node IP."),
    externalAddress: ipv4
      .optional()
      .describe("An optional public IPv4 address, added to serving certificates."),
    labels: z.record(z.string(), z.string()).default({}).describe("Extra node labels."),
    taints: z.array(TaintSchema).default([]).describe("Extra node taints."),
  })
  .describe("A host of the cluster.");

export const EndpointSchema = z
  .strictObject({
    host: z.string().min(1).describe("DNS name or virtual IP in front of the API servers."),
    port: z.number().int().min(1).max(65535).default(6443).describe("API server port behind the endpoint."),
  })
  .describe("The stable API endpoint. Required with more than one control-plane node.");

export const CniSchema = z
  .strictObject({
    plugin: z
      .enum(["calico", "flannel", "none"])
      .default("calico")
      .describe("Pod network plugin. none: bring your own (nodes stay NotReady until one is installed)."),
    mtu: z
      .number()
      .int()
      .min(1280)
      .max(9000)
      .optional()
      .describe("Pod interface MTU. Default: the plugin's (host MTU minus the encapsulation overhead)."),
    enforceNetworkPolicy: z
      .boolean()
      .default(true)
      .describe(
        "Require a plugin that enforces NetworkPolicy (Calico). Flannel cannot: set false to use it.",
      ),
  })
  .describe("Container network interface (CNI).");

export const KubeProxySchema = z
  .strictObject({
    mode: z.enum(["iptables", "ipvs", "nftables"]).default("iptables").describe("kube-proxy mode."),
  })
  .describe("kube-proxy settings.");

export const HostEntrySchema = z
  .strictObject({
    address: ipv4.describe("IPv4 address."),
    names: z.array(z.string().min(1)).min(1).describe("Host names for the address."),
  })
  .describe("An /etc/hosts entry.");

export const NetworkingSchema = z
  .strictObject({
    podCIDR: cidr.default("10.244.0.0/16").describe("Pod network (cluster CIDR)."),
    serviceCIDR: cidr.default("10.96.0.0/12").describe("Service network: /12 to /28."),
    nodeCIDRMaskSize: z
      .number()
      .int()
      .default(24)
      .describe("Prefix length of the pod range each node gets from podCIDR."),
    dnsDomain: z
      .string()
      .default("cluster.local")
      .describe("Cluster DNS domain (kubelet clusterDomain, CoreDNS zone)."),
    cni: CniSchema.prefault({}),
    kubeProxy: KubeProxySchema.prefault({}),
    extraHosts: z
      .array(HostEntrySchema)
      .default([])
      .describe("Extra /etc/hosts entries on every node (nodes and the endpoint are added automatically)."),
    sysctls: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .default({})
      .describe("Overrides of the kernel parameter profile (net.core.somaxconn: 32768, …)."),
  })
  .describe("Cluster networks. IPv4.");

export const EtcdBackupSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe("Take scheduled snapshots on every etcd member (a systemd timer running etcdctl)."),
    schedule: z
      .string()
      .regex(/^[^\n;]+$/, { message: "be a single-line systemd OnCalendar expression" })
      .default("hourly")
      .describe("When to snapshot: a systemd OnCalendar expression, e.g. hourly or *-*-* 00/4:00:00."),
    retention: z
      .number()
      .int()
      .min(1)
      .default(24)
      .describe("How many snapshots each member keeps; older ones are deleted after a successful snapshot."),
    directory: z
      .string()
      .regex(/^\/(?!.*\/\.\.?(\/|$))[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/, {
        message: "be an absolute, normalized path such as /var/backups/etcd",
      })
      .default("/var/backups/etcd")
      .describe("Where snapshots are written on each member (keep it off the etcd data disk if you can)."),
  })
  .describe("Scheduled etcd snapshots and their retention.");

export const MonitoringSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Make control-plane, etcd, kubelet, kube-proxy and CoreDNS metrics scrapable: a metrics reader identity, an authenticating node-local metrics proxy and a Prometheus scrape configuration.",
      ),
    prometheusOperator: z
      .boolean()
      .default(false)
      .describe(
        "Also emit prometheus-operator objects (ServiceMonitor, PodMonitor, PrometheusRule); needs the operator's CRDs.",
      ),
    metricsServer: z
      .boolean()
      .default(true)
      .describe("Install metrics-server (resource metrics for kubectl top and HorizontalPodAutoscalers)."),
    dashboard: z
      .boolean()
      .default(false)
      .describe(
        "Install a web dashboard (Headlamp) that acts with each user's own token, plus a read-only viewer identity.",
      ),
  })
  .describe("Metrics, alerting and the optional dashboard.");

export const EtcdSchema = z
  .strictObject({
    topology: z
      .enum(["stacked", "external"])
      .default("stacked")
      .describe("stacked: etcd on every control-plane node; external: on the nodes with the etcd role."),
    version: z
      .string()
      .optional()
      .describe("Override the etcd image tag (e.g. 3.5.24-0). Default: the Kubernetes version's etcd."),
    dataDir: z.string().default("/var/lib/etcd").describe("etcd data directory on the host."),
    snapshotCount: z.number().int().min(1).default(10000).describe("etcd --snapshot-count."),
    quotaBackendBytes: z
      .number()
      .int()
      .min(0)
      .default(8 * 1024 ** 3)
      .describe("etcd --quota-backend-bytes (default 8 GiB, the recommended maximum)."),
    backup: EtcdBackupSchema.prefault({}),
  })
  .describe("etcd cluster.");

export const ImagesSchema = z
  .strictObject({
    registry: z.string().min(1).default("registry.k8s.io").describe("Registry for control-plane images."),
  })
  .describe("Container images.");

export const AuditLogSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe("Write an API audit log. Turning this off fails CIS 1.2.16-1.2.19."),
    path: z.string().default("/var/log/kubernetes/audit/audit.log").describe("Audit log path on the host."),
    maxAge: z.number().int().min(1).default(30).describe("Days to keep old audit logs."),
    maxBackup: z.number().int().min(1).default(10).describe("Number of rotated audit logs to keep."),
    maxSize: z.number().int().min(1).default(100).describe("Size in MiB at which the audit log rotates."),
  })
  .describe("API server audit log.");

export const EncryptionSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe("Encrypt Secrets at rest in etcd. Turning this off fails CIS 1.2.27/1.2.28."),
    provider: z
      .enum(["secretbox", "aescbc"])
      .default("secretbox")
      .describe("Encryption provider for Secrets. The key is generated at apply time, never synthesized."),
  })
  .describe("Encryption at rest.");

const PodSecurityLevelSchema = z
  .enum(["privileged", "baseline", "restricted"])
  .describe(
    "A Pod Security Standard level (https://kubernetes.io/docs/concepts/security/pod-security-standards/).",
  );

export const PodSecuritySchema = z
  .strictObject({
    enforce: PodSecurityLevelSchema.default("baseline").describe(
      "Level enforced in every namespace without its own label. privileged turns enforcement off and fails CIS 5.2.x.",
    ),
    audit: PodSecurityLevelSchema.default("restricted").describe("Level whose violations are audited."),
    warn: PodSecurityLevelSchema.default("restricted").describe("Level whose violations warn the client."),
    exemptNamespaces: z
      .array(z.string().regex(DNS_LABEL, { message: "be a namespace name (a DNS label)" }))
      .default(["kube-system"])
      .describe(
        "Namespaces exempt from Pod Security Admission (the control plane's own add-ons run in kube-system).",
      ),
  })
  .describe("Pod Security Admission defaults, written to the API server's AdmissionConfiguration.");

export const SecuritySchema = z
  .strictObject({
    anonymousAuth: z
      .boolean()
      .default(false)
      .describe(
        "Allow anonymous requests to every API server path. Off by default; health endpoints stay reachable for probes.",
      ),
    profiling: z.boolean().default(false).describe("Enable /debug/pprof on control-plane components."),
    auditLog: AuditLogSchema.prefault({}),
    encryptionAtRest: EncryptionSchema.prefault({}),
    podSecurity: PodSecuritySchema.prefault({}),
    defaultDenyNetworkPolicies: z
      .array(z.string().regex(DNS_LABEL, { message: "be a namespace name (a DNS label)" }))
      .default([])
      .describe(
        "Namespaces that get a default-deny NetworkPolicy (all ingress and egress denied until allowed). Namespaces other than the built-in ones are created with Pod Security labels.",
      ),
  })
  .describe("Security settings. Every default is the secure choice.");

export const PkiSchema = z
  .strictObject({
    keyAlgorithm: z
      .enum(["ecdsa-p256", "rsa-2048", "rsa-4096"])
      .default("ecdsa-p256")
      .describe("Key algorithm for every key pair."),
    caValidityDays: z.number().int().min(1).default(3650).describe("Validity of the CAs, in days."),
    leafValidityDays: z
      .number()
      .int()
      .min(1)
      .default(365)
      .describe("Validity of leaf certificates, in days."),
  })
  .describe("Certificate plan settings.");

export const LoadBalancerSchema = z
  .strictObject({
    provider: z
      .enum(["kube-vip", "haproxy-keepalived", "external"])
      .default("kube-vip")
      .describe(
        "What serves the endpoint with more than one control-plane node: kube-vip (static pod, ARP virtual IP), haproxy + keepalived on the control-plane nodes, or an external load balancer you run.",
      ),
    interface: z
      .string()
      .default("eth0")
      .describe("Network interface that carries the virtual IP (kube-vip, keepalived)."),
  })
  .describe("The HA endpoint in front of the API servers.");

export const CloudProviderSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .describe("Cloud provider name passed to the cloud-controller-manager (--cloud-provider)."),
    image: z.string().min(1).describe("cloud-controller-manager image, pinned by tag or digest."),
    args: z.array(z.string()).default([]).describe("Extra cloud-controller-manager arguments."),
  })
  .describe(
    "External cloud provider: kubelets run with the external provider and a cloud-controller-manager is deployed.",
  );

export const ContainerdSchema = z
  .strictObject({
    registryMirrors: z
      .record(z.string(), z.array(z.string().min(1)))
      .default({})
      .describe("Registry mirrors by registry host, e.g. { docker.io: [https://mirror.example.internal] }."),
  })
  .describe("containerd settings.");

export const KubeletSchema = z
  .strictObject({
    maxPods: z.number().int().min(1).max(2500).default(110).describe("Maximum pods per node."),
    systemReserved: z
      .record(z.string(), z.string())
      .default({ cpu: "100m", memory: "256Mi", "ephemeral-storage": "1Gi" })
      .describe("Resources reserved for the OS (kubelet systemReserved)."),
    kubeReserved: z
      .record(z.string(), z.string())
      .default({ cpu: "100m", memory: "256Mi", "ephemeral-storage": "1Gi" })
      .describe("Resources reserved for Kubernetes daemons (kubelet kubeReserved)."),
    evictionHard: z
      .record(z.string(), z.string())
      .default({
        "memory.available": "200Mi",
        "nodefs.available": "10%",
        "imagefs.available": "15%",
        "nodefs.inodesFree": "5%",
      })
      .describe("Hard eviction thresholds."),
    serverTLSBootstrap: z
      .boolean()
      .default(false)
      .describe(
        "Request the serving certificate through a CSR instead of using the one kubeforge issues from the cluster CA.",
      ),
  })
  .describe("kubelet settings shared by every node.");

export const ClusterSpecSchema = z
  .strictObject({
    name: z.string().describe("Cluster name: a DNS label."),
    kubernetesVersion: z
      .string()
      .optional()
      .describe("Kubernetes version, `1.34` or `1.34.2`. Default: the newest supported minor."),
    controlPlane: z
      .strictObject({
        endpoint: EndpointSchema.optional(),
        loadBalancer: LoadBalancerSchema.prefault({}),
        cloudProvider: CloudProviderSchema.optional(),
      })
      .prefault({})
      .describe("Control plane settings."),
    containerd: ContainerdSchema.prefault({}),
    kubelet: KubeletSchema.prefault({}),
    nodes: z.array(NodeSchema).describe("The hosts of the cluster."),
    etcd: EtcdSchema.prefault({}),
    networking: NetworkingSchema.prefault({}),
    images: ImagesSchema.prefault({}),
    security: SecuritySchema.prefault({}),
    pki: PkiSchema.prefault({}),
    monitoring: MonitoringSchema.prefault({}),
  })
  .describe("A kubeforge cluster spec.");

/** What a user writes: optional fields may be left out. */
export type ClusterSpecInput = z.input<typeof ClusterSpecSchema>;
/** The structurally valid spec with every default applied. */
export type ClusterSpecParsed = z.output<typeof ClusterSpecSchema>;
export type NodeSpec = z.output<typeof NodeSchema>;
export type NodeRole = z.output<typeof RoleSchema>;
export type Taint = z.output<typeof TaintSchema>;

export { DNS_LABEL };
