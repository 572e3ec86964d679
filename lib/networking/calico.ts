import { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-27";
import type { Construct } from "constructs";
import { oneAtATime } from "../private/rollout";
import type { ClusterModel } from "../spec/model";

/**
 * The pinned Calico release (manifest-based install, Kubernetes datastore, no Typha).
 * @see https://docs.tigera.io/calico/latest/getting-started/kubernetes/self-managed-onprem/onpremises
 */
export const CALICO_VERSION = "v3.30.3";

/** Calico's images at {@link CALICO_VERSION}. */
export const CALICO_IMAGES = {
  cni: `quay.io/calico/cni:${CALICO_VERSION}`,
  node: `quay.io/calico/node:${CALICO_VERSION}`,
  kubeControllers: `quay.io/calico/kube-controllers:${CALICO_VERSION}`,
} as const;

/** How Calico carries pod traffic between nodes. */
export type CalicoEncapsulation = "vxlan" | "ipip";

/** Props of {@link Calico}. */
export interface CalicoProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
  /**
   * Encapsulation of the default IP pool. VXLAN needs no BGP daemon (BIRD stays off, nothing
   * listens on port 179) and crosses networks that drop IP-in-IP (protocol 4).
   * @default "vxlan"
   * @see https://docs.tigera.io/calico/latest/networking/configuring/vxlan-ipip
   */
  readonly encapsulation?: CalicoEncapsulation;
}

/**
 * The custom resources calico-node and calico-kube-controllers read and write at
 * {@link CALICO_VERSION}: `[plural, kind, scope]`. CRDs are generated from this list with an
 * open schema; Calico validates its own resources.
 */
export const CALICO_CRDS: readonly (readonly [string, string, "Cluster" | "Namespaced"])[] = [
  ["bgpconfigurations", "BGPConfiguration", "Cluster"],
  ["bgpfilters", "BGPFilter", "Cluster"],
  ["bgppeers", "BGPPeer", "Cluster"],
  ["blockaffinities", "BlockAffinity", "Cluster"],
  ["caliconodestatuses", "CalicoNodeStatus", "Cluster"],
  ["clusterinformations", "ClusterInformation", "Cluster"],
  ["felixconfigurations", "FelixConfiguration", "Cluster"],
  ["globalnetworkpolicies", "GlobalNetworkPolicy", "Cluster"],
  ["globalnetworksets", "GlobalNetworkSet", "Cluster"],
  ["hostendpoints", "HostEndpoint", "Cluster"],
  ["ipamblocks", "IPAMBlock", "Cluster"],
  ["ipamconfigs", "IPAMConfig", "Cluster"],
  ["ipamhandles", "IPAMHandle", "Cluster"],
  ["ippools", "IPPool", "Cluster"],
  ["ipreservations", "IPReservation", "Cluster"],
  ["kubecontrollersconfigurations", "KubeControllersConfiguration", "Cluster"],
  ["networkpolicies", "NetworkPolicy", "Namespaced"],
  ["networksets", "NetworkSet", "Namespaced"],
  ["stagedglobalnetworkpolicies", "StagedGlobalNetworkPolicy", "Cluster"],
  ["stagedkubernetesnetworkpolicies", "StagedKubernetesNetworkPolicy", "Namespaced"],
  ["stagednetworkpolicies", "StagedNetworkPolicy", "Namespaced"],
  ["tiers", "Tier", "Cluster"],
];

/**
 * The Kubernetes network-policy-api CRDs Calico watches (AdminNetworkPolicy and its baseline).
 * Their group is under k8s.io, so the API server requires the approval annotation upstream carries.
 */
export const NETWORK_POLICY_API_CRDS: readonly (readonly [string, string, string])[] = [
  ["adminnetworkpolicies", "AdminNetworkPolicy", "anp"],
  ["baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy", "banp"],
];

const CALICO_GROUP = "crd.projectcalico.org";
const NETWORK_POLICY_API_GROUP = "policy.networking.k8s.io";
const OPEN_SCHEMA: k8s.JsonSchemaProps = { type: "object", xKubernetesPreserveUnknownFields: true };

/**
 * The CNI configuration calico's install-cni writes on each node; the `__…__` placeholders are
 * filled in on the node by install-cni, and `__CNI_MTU__` is a bare number there, so this is
 * template text rather than JSON.
 */
export function calicoCniNetworkConfig(): string {
  const config = {
    name: "k8s-pod-network",
    cniVersion: "0.3.1",
    plugins: [
      {
        type: "calico",
        log_level: "info",
        log_file_path: "/var/log/calico/cni/cni.log",
        datastore_type: "kubernetes",
        nodename: "__KUBERNETES_NODE_NAME__",
        mtu: "__CNI_MTU__",
        ipam: { type: "calico-ipam" },
        policy: { type: "k8s" },
        kubernetes: { kubeconfig: "__KUBECONFIG_FILEPATH__" },
      },
      { type: "portmap", snat: true, capabilities: { portMappings: true } },
      { type: "bandwidth", capabilities: { bandwidth: true } },
    ],
  };
  return JSON.stringify(config, null, 2).replace('"__CNI_MTU__"', "__CNI_MTU__");
}

type Rule = k8s.PolicyRule;
const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): Rule => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});

/**
 * calico-node's permissions: upstream's set at {@link CALICO_VERSION}, without the rules upstream
 * marks as needed only to upgrade an older install (v2.6 BGP objects, host-local IPAM migration)
 * and without Secret access (only BGP peer passwords need it; kubeforge configures none).
 */
export function calicoNodeRules(): Rule[] {
  return [
    rule([""], ["serviceaccounts/token"], ["create"], ["calico-cni-plugin"]),
    rule([""], ["pods", "nodes", "namespaces"], ["get"]),
    rule(["discovery.k8s.io"], ["endpointslices"], ["watch", "list"]),
    rule([""], ["endpoints", "services"], ["watch", "list", "get"]),
    rule([""], ["configmaps"], ["get"]),
    rule([""], ["nodes/status"], ["patch", "update"]),
    rule(["networking.k8s.io"], ["networkpolicies"], ["watch", "list"]),
    rule(
      [NETWORK_POLICY_API_GROUP],
      ["adminnetworkpolicies", "baselineadminnetworkpolicies"],
      ["watch", "list"],
    ),
    rule([""], ["pods", "namespaces", "serviceaccounts"], ["list", "watch"]),
    rule([""], ["pods/status"], ["patch"]),
    rule(
      [CALICO_GROUP],
      [
        "globalfelixconfigs",
        "felixconfigurations",
        "bgppeers",
        "bgpfilters",
        "globalbgpconfigs",
        "bgpconfigurations",
        "ippools",
        "ipreservations",
        "ipamblocks",
        "globalnetworkpolicies",
        "stagedglobalnetworkpolicies",
        "networkpolicies",
        "stagednetworkpolicies",
        "stagedkubernetesnetworkpolicies",
        "globalnetworksets",
        "networksets",
        "clusterinformations",
        "hostendpoints",
        "blockaffinities",
        "caliconodestatuses",
        "tiers",
      ],
      ["get", "list", "watch"],
    ),
    rule([CALICO_GROUP], ["ippools", "felixconfigurations", "clusterinformations"], ["create", "update"]),
    rule([CALICO_GROUP], ["tiers"], ["create"]),
    rule([CALICO_GROUP], ["caliconodestatuses"], ["update"]),
    rule([""], ["nodes"], ["get", "list", "watch"]),
    rule(
      [CALICO_GROUP],
      ["blockaffinities", "ipamblocks", "ipamhandles"],
      ["get", "list", "create", "update", "delete"],
    ),
    rule([CALICO_GROUP], ["ipamconfigs"], ["get", "create"]),
    rule([CALICO_GROUP], ["blockaffinities"], ["watch"]),
  ];
}

/** The CNI plugin's own identity: pod lookups and IPAM, nothing else. */
export function calicoCniPluginRules(): Rule[] {
  return [
    rule([""], ["pods", "nodes", "namespaces"], ["get"]),
    rule([""], ["pods/status"], ["patch"]),
    rule(
      [CALICO_GROUP],
      ["blockaffinities", "ipamblocks", "ipamhandles"],
      ["get", "list", "create", "update", "delete"],
    ),
    rule([CALICO_GROUP], ["ipamconfigs", "clusterinformations", "ippools"], ["get", "list"]),
  ];
}

/** calico-kube-controllers running only its node controller (IPAM garbage collection). */
export function calicoKubeControllersRules(): Rule[] {
  return [
    rule([""], ["nodes"], ["watch", "list", "get"]),
    rule([""], ["pods"], ["get", "list", "watch"]),
    rule([CALICO_GROUP], ["ipreservations"], ["list"]),
    rule(
      [CALICO_GROUP],
      ["blockaffinities", "ipamblocks", "ipamhandles"],
      ["get", "list", "create", "update", "delete", "watch"],
    ),
    rule([CALICO_GROUP], ["ippools"], ["list", "watch"]),
    rule([CALICO_GROUP], ["hostendpoints"], ["get", "list", "create", "update", "delete"]),
    rule([CALICO_GROUP], ["clusterinformations"], ["get", "list", "create", "update", "watch"]),
    rule([CALICO_GROUP], ["kubecontrollersconfigurations"], ["get", "create", "list", "update", "watch"]),
  ];
}

/**
 * Calico as its manifest install (`calico.yaml`) lays it out, built from typed objects: the
 * calico-config ConfigMap (MTU, backend, CNI config), the CRDs, least-privilege RBAC for
 * calico-node, the CNI plugin and kube-controllers, the calico-node DaemonSet (default IP pool =
 * the spec's pod network) and the calico-kube-controllers Deployment with its disruption budget.
 * Calico enforces NetworkPolicy.
 */
export class Calico extends Chart {
  /** The encapsulation of the default IP pool. */
  readonly encapsulation: CalicoEncapsulation;

  constructor(scope: Construct, id: string, props: CalicoProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { model } = props;
    this.encapsulation = props.encapsulation ?? "vxlan";
    const vxlan = this.encapsulation === "vxlan";
    const namespace = "kube-system";
    const mtu = model.spec.networking.cni.mtu;

    for (const sa of ["calico-kube-controllers", "calico-node", "calico-cni-plugin"]) {
      new k8s.KubeServiceAccount(this, `sa-${sa}`, { metadata: { name: sa, namespace } });
    }
    new k8s.KubeConfigMap(this, "config", {
      metadata: { name: "calico-config", namespace },
      data: {
        typha_service_name: "none",
        // VXLAN needs no BGP: BIRD is not started at all.
        calico_backend: vxlan ? "vxlan" : "bird",
        // 0 lets Calico detect the host MTU and subtract the encapsulation overhead.
        veth_mtu: String(mtu ?? 0),
        cni_network_config: calicoCniNetworkConfig(),
      },
    });

    for (const [plural, kind, scope] of CALICO_CRDS) {
      this.crd(CALICO_GROUP, "v1", plural, kind, scope);
    }
    for (const [plural, kind, shortName] of NETWORK_POLICY_API_CRDS) {
      this.crd(NETWORK_POLICY_API_GROUP, "v1alpha1", plural, kind, "Cluster", shortName, {
        "api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/network-policy-api/pull/30",
      });
    }

    const clusterRole = (name: string, rules: Rule[]) =>
      new k8s.KubeClusterRole(this, `role-${name}`, { metadata: { name }, rules });
    const bind = (name: string, subject: k8s.Subject) =>
      new k8s.KubeClusterRoleBinding(this, `binding-${name}`, {
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
        subjects: [subject],
      });
    clusterRole("calico-kube-controllers", calicoKubeControllersRules());
    clusterRole("calico-node", calicoNodeRules());
    clusterRole("calico-cni-plugin", calicoCniPluginRules());
    // The controller-manager's garbage collector reads Calico tiers it finds owner references to.
    clusterRole("calico-tier-getter", [rule([CALICO_GROUP], ["tiers"], ["get"])]);
    for (const sa of ["calico-kube-controllers", "calico-node", "calico-cni-plugin"]) {
      bind(sa, { kind: "ServiceAccount", name: sa, namespace });
    }
    bind("calico-tier-getter", {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "User",
      name: "system:kube-controller-manager",
    });

    this.nodeDaemonSet(model, vxlan, namespace);
    this.kubeControllers(namespace);
  }

  private crd(
    group: string,
    version: string,
    plural: string,
    kind: string,
    scope: string,
    shortName?: string,
    annotations?: Record<string, string>,
  ): void {
    const singular = kind.toLowerCase();
    new k8s.KubeCustomResourceDefinition(this, `crd-${plural}.${group}`, {
      metadata: { name: `${plural}.${group}`, ...(annotations ? { annotations } : {}) },
      spec: {
        group,
        names: {
          kind,
          listKind: `${kind}List`,
          plural,
          singular,
          ...(shortName ? { shortNames: [shortName] } : {}),
        },
        scope,
        versions: [
          {
            name: version,
            served: true,
            storage: true,
            schema: { openApiv3Schema: OPEN_SCHEMA },
            ...(group === NETWORK_POLICY_API_GROUP ? { subresources: { status: {} } } : {}),
          },
        ],
      },
    });
  }

  private nodeDaemonSet(model: ClusterModel, vxlan: boolean, namespace: string): void {
    const labels = { "k8s-app": "calico-node" };
    const fromConfig = (name: string, key: string): k8s.EnvVar => ({
      name,
      valueFrom: { configMapKeyRef: { name: "calico-config", key } },
    });
    const nodeName = (name: string): k8s.EnvVar => ({
      name,
      valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } },
    });
    const hostPath = (name: string, path: string, type?: string): k8s.Volume => ({
      name,
      hostPath: { path, ...(type ? { type } : {}) },
    });
    const felixProbe = (flag: string): k8s.Probe => ({
      exec: { command: ["/bin/calico-node", flag, ...(vxlan ? [] : [flag.replace("felix", "bird")])] },
      periodSeconds: 10,
      timeoutSeconds: 10,
    });
    new k8s.KubeDaemonSet(this, "calico-node", {
      metadata: { name: "calico-node", namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: oneAtATime(),
        template: {
          metadata: { labels },
          spec: {
            nodeSelector: { "kubernetes.io/os": "linux" },
            hostNetwork: true,
            tolerations: [
              { effect: "NoSchedule", operator: "Exists" },
              { key: "CriticalAddonsOnly", operator: "Exists" },
              { effect: "NoExecute", operator: "Exists" },
            ],
            serviceAccountName: "calico-node",
            // calico-node's preStop hook shuts it down; no grace period is needed beyond it.
            terminationGracePeriodSeconds: 0,
            priorityClassName: "system-node-critical",
            initContainers: [
              {
                name: "install-cni",
                image: CALICO_IMAGES.cni,
                imagePullPolicy: "IfNotPresent",
                command: ["/opt/cni/bin/install"],
                envFrom: [{ configMapRef: { name: "kubernetes-services-endpoint", optional: true } }],
                env: [
                  { name: "CNI_CONF_NAME", value: "10-calico.conflist" },
                  fromConfig("CNI_NETWORK_CONFIG", "cni_network_config"),
                  nodeName("KUBERNETES_NODE_NAME"),
                  fromConfig("CNI_MTU", "veth_mtu"),
                  { name: "SLEEP", value: "false" },
                ],
                volumeMounts: [
                  { mountPath: "/host/opt/cni/bin", name: "cni-bin-dir" },
                  { mountPath: "/host/etc/cni/net.d", name: "cni-net-dir" },
                ],
                securityContext: { privileged: true },
              },
            ],
            containers: [
              {
                name: "calico-node",
                image: CALICO_IMAGES.node,
                imagePullPolicy: "IfNotPresent",
                envFrom: [{ configMapRef: { name: "kubernetes-services-endpoint", optional: true } }],
                env: [
                  { name: "DATASTORE_TYPE", value: "kubernetes" },
                  { name: "WAIT_FOR_DATASTORE", value: "true" },
                  nodeName("NODENAME"),
                  fromConfig("CALICO_NETWORKING_BACKEND", "calico_backend"),
                  { name: "CLUSTER_TYPE", value: "k8s,bgp" },
                  { name: "IP", value: "autodetect" },
                  // The node's InternalIP is the address the spec gives it.
                  { name: "IP_AUTODETECTION_METHOD", value: "kubernetes-internal-ip" },
                  { name: "CALICO_IPV4POOL_CIDR", value: model.spec.networking.podCIDR },
                  { name: "CALICO_IPV4POOL_IPIP", value: vxlan ? "Never" : "Always" },
                  { name: "CALICO_IPV4POOL_VXLAN", value: vxlan ? "Always" : "Never" },
                  { name: "CALICO_IPV6POOL_VXLAN", value: "Never" },
                  fromConfig("FELIX_IPINIPMTU", "veth_mtu"),
                  fromConfig("FELIX_VXLANMTU", "veth_mtu"),
                  fromConfig("FELIX_WIREGUARDMTU", "veth_mtu"),
                  { name: "CALICO_DISABLE_FILE_LOGGING", value: "true" },
                  { name: "FELIX_DEFAULTENDPOINTTOHOSTACTION", value: "ACCEPT" },
                  { name: "FELIX_IPV6SUPPORT", value: "false" },
                  { name: "FELIX_HEALTHENABLED", value: "true" },
                ],
                securityContext: { privileged: true },
                resources: { requests: { cpu: k8s.Quantity.fromString("250m") } },
                lifecycle: { preStop: { exec: { command: ["/bin/calico-node", "-shutdown"] } } },
                livenessProbe: { ...felixProbe("-felix-live"), initialDelaySeconds: 10, failureThreshold: 6 },
                readinessProbe: felixProbe("-felix-ready"),
                volumeMounts: [
                  { mountPath: "/host/etc/cni/net.d", name: "cni-net-dir", readOnly: false },
                  { mountPath: "/lib/modules", name: "lib-modules", readOnly: true },
                  { mountPath: "/run/xtables.lock", name: "xtables-lock", readOnly: false },
                  { mountPath: "/var/run/calico", name: "var-run-calico", readOnly: false },
                  { mountPath: "/var/lib/calico", name: "var-lib-calico", readOnly: false },
                  { mountPath: "/var/run/nodeagent", name: "policysync" },
                  { mountPath: "/var/log/calico/cni", name: "cni-log-dir", readOnly: true },
                ],
              },
            ],
            volumes: [
              hostPath("lib-modules", "/lib/modules"),
              hostPath("var-run-calico", "/var/run/calico", "DirectoryOrCreate"),
              hostPath("var-lib-calico", "/var/lib/calico", "DirectoryOrCreate"),
              hostPath("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
              hostPath("cni-bin-dir", "/opt/cni/bin", "DirectoryOrCreate"),
              hostPath("cni-net-dir", "/etc/cni/net.d"),
              hostPath("cni-log-dir", "/var/log/calico/cni"),
              hostPath("policysync", "/var/run/nodeagent", "DirectoryOrCreate"),
            ],
          },
        },
      },
    });
  }

  private kubeControllers(namespace: string): void {
    const name = "calico-kube-controllers";
    const labels = { "k8s-app": name };
    new k8s.KubePodDisruptionBudget(this, "kube-controllers-pdb", {
      metadata: { name, namespace, labels },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels } },
    });
    const check = (flag: string): k8s.Probe => ({
      exec: { command: ["/usr/bin/check-status", flag] },
      periodSeconds: 10,
    });
    new k8s.KubeDeployment(this, "kube-controllers", {
      metadata: { name, namespace, labels },
      spec: {
        // One instance only: it is not leader-elected.
        replicas: 1,
        selector: { matchLabels: labels },
        strategy: { type: "Recreate" },
        template: {
          metadata: { name, namespace, labels },
          spec: {
            nodeSelector: { "kubernetes.io/os": "linux" },
            tolerations: [
              { key: "CriticalAddonsOnly", operator: "Exists" },
              { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
            ],
            serviceAccountName: name,
            priorityClassName: "system-cluster-critical",
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name,
                image: CALICO_IMAGES.kubeControllers,
                imagePullPolicy: "IfNotPresent",
                env: [
                  // Only the node controller: IPAM garbage collection for deleted nodes.
                  { name: "ENABLED_CONTROLLERS", value: "node" },
                  { name: "DATASTORE_TYPE", value: "kubernetes" },
                ],
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                },
                livenessProbe: {
                  ...check("-l"),
                  initialDelaySeconds: 10,
                  failureThreshold: 6,
                  timeoutSeconds: 10,
                },
                readinessProbe: check("-r"),
              },
            ],
          },
        },
      },
    });
  }
}
