import { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-27";
import type { Construct } from "constructs";
import type { ClusterModel } from "../spec/model";

/**
 * Flannel's pinned images: the flannel v0.28.9 release manifest pairs the daemon with this build
 * of its CNI plugin.
 * @see https://github.com/flannel-io/flannel/releases
 */
export const FLANNEL_IMAGES = {
  flannel: "ghcr.io/flannel-io/flannel:v0.28.9",
  cniPlugin: "ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3",
} as const;

/** The namespace flannel runs in, as upstream installs it. */
export const FLANNEL_NAMESPACE = "kube-flannel";

/** Props of {@link Flannel}. */
export interface FlannelProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
}

/**
 * flannel's `net-conf.json`: the pod network is the spec's (the controller-manager hands out node
 * ranges from the same value and flannel reads them with `--kube-subnet-mgr`), VXLAN backend,
 * and the MTU of the VXLAN device (which becomes the pod interface MTU) when the spec sets one.
 * nftables rules when kube-proxy also uses nftables, so a node does not mix both rule sets.
 * @see https://github.com/flannel-io/flannel/blob/master/Documentation/configuration.md
 */
export function flannelNetConf(model: ClusterModel): Record<string, unknown> {
  const { networking } = model.spec;
  const backend: Record<string, unknown> = { Type: "vxlan" };
  if (networking.cni.mtu !== undefined) backend.MTU = networking.cni.mtu;
  return {
    Network: networking.podCIDR,
    EnableNFTables: networking.kubeProxy.mode === "nftables",
    Backend: backend,
  };
}

/** The CNI configuration list flannel installs on every node. */
export function flannelCniConf(): Record<string, unknown> {
  return {
    name: "cbr0",
    cniVersion: "0.3.1",
    plugins: [
      { type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true } },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
}

/**
 * Flannel (VXLAN) as upstream's release manifest installs it: its own privileged-PSA namespace, a
 * ServiceAccount whose ClusterRole only reads pods and nodes and patches node status, the
 * configuration, and a DaemonSet on every Linux node with NET_ADMIN and NET_RAW (not privileged).
 * Flannel does not enforce NetworkPolicy; validation refuses it unless the spec opts out.
 */
export class Flannel extends Chart {
  constructor(scope: Construct, id: string, props: FlannelProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { model } = props;
    const namespace = FLANNEL_NAMESPACE;
    const name = "flannel";
    const labels = { app: name, "k8s-app": name, tier: "node" };

    new k8s.KubeNamespace(this, "namespace", {
      metadata: {
        name: namespace,
        // hostNetwork, hostPath and NET_ADMIN are outside the baseline Pod Security level.
        labels: { "k8s-app": name, "pod-security.kubernetes.io/enforce": "privileged" },
      },
    });
    new k8s.KubeServiceAccount(this, "service-account", { metadata: { name, namespace } });
    new k8s.KubeClusterRole(this, "cluster-role", {
      metadata: { name },
      rules: [
        { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch"] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, "cluster-role-binding", {
      metadata: { name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    });
    new k8s.KubeConfigMap(this, "config", {
      metadata: { name: "kube-flannel-cfg", namespace, labels },
      data: {
        "cni-conf.json": `${JSON.stringify(flannelCniConf(), null, 2)}\n`,
        "net-conf.json": `${JSON.stringify(flannelNetConf(model), null, 2)}\n`,
      },
    });

    const fieldEnv = (envName: string, fieldPath: string): k8s.EnvVar => ({
      name: envName,
      valueFrom: { fieldRef: { fieldPath } },
    });
    new k8s.KubeDaemonSet(this, "daemon-set", {
      metadata: { name: "kube-flannel-ds", namespace, labels },
      spec: {
        selector: { matchLabels: { app: name, "k8s-app": name } },
        template: {
          metadata: { labels },
          spec: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["linux"] }] },
                  ],
                },
              },
            },
            hostNetwork: true,
            priorityClassName: "system-node-critical",
            serviceAccountName: name,
            tolerations: [
              { operator: "Exists", effect: "NoSchedule" },
              { operator: "Exists", effect: "NoExecute" },
            ],
            initContainers: [
              {
                name: "install-cni-plugin",
                image: FLANNEL_IMAGES.cniPlugin,
                imagePullPolicy: "IfNotPresent",
                command: ["cp"],
                args: ["-f", "/flannel", "/opt/cni/bin/flannel"],
                volumeMounts: [{ name: "cni-plugin", mountPath: "/opt/cni/bin" }],
              },
              {
                name: "install-cni",
                image: FLANNEL_IMAGES.flannel,
                imagePullPolicy: "IfNotPresent",
                command: ["cp"],
                args: ["-f", "/etc/kube-flannel/cni-conf.json", "/etc/cni/net.d/10-flannel.conflist"],
                volumeMounts: [
                  { name: "cni", mountPath: "/etc/cni/net.d" },
                  { name: "flannel-cfg", mountPath: "/etc/kube-flannel/", readOnly: true },
                ],
              },
            ],
            containers: [
              {
                name: "kube-flannel",
                image: FLANNEL_IMAGES.flannel,
                imagePullPolicy: "IfNotPresent",
                command: ["/opt/bin/flanneld"],
                args: ["--ip-masq", "--kube-subnet-mgr"],
                env: [
                  fieldEnv("POD_NAME", "metadata.name"),
                  fieldEnv("POD_NAMESPACE", "metadata.namespace"),
                  { name: "EVENT_QUEUE_DEPTH", value: "5000" },
                  { name: "CONT_WHEN_CACHE_NOT_READY", value: "false" },
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString("100m"), memory: k8s.Quantity.fromString("50Mi") },
                },
                securityContext: {
                  privileged: false,
                  capabilities: { add: ["NET_ADMIN", "NET_RAW"] },
                },
                volumeMounts: [
                  { name: "run", mountPath: "/run/flannel" },
                  { name: "flannel-cfg", mountPath: "/etc/kube-flannel/", readOnly: true },
                  { name: "xtables-lock", mountPath: "/run/xtables.lock" },
                ],
              },
            ],
            volumes: [
              { name: "run", hostPath: { path: "/run/flannel" } },
              { name: "cni-plugin", hostPath: { path: "/opt/cni/bin" } },
              { name: "cni", hostPath: { path: "/etc/cni/net.d" } },
              { name: "flannel-cfg", configMap: { name: "kube-flannel-cfg" } },
              { name: "xtables-lock", hostPath: { path: "/run/xtables.lock", type: "FileOrCreate" } },
            ],
          },
        },
      },
    });
  }
}
