import { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-27";
import type { Construct } from "constructs";
import { toYaml } from "../host/node-file";
import { oneAtATime } from "../private/rollout";
import type { ClusterModel } from "../spec/model";

/** Where the kube-proxy ConfigMap is mounted in its pods. */
const CONFIG_DIR = "/var/lib/kube-proxy";
const CONFIG_KEY = "config.conf";
const KUBECONFIG_KEY = "kubeconfig.conf";
/** The projected service-account credentials every pod gets, used by kube-proxy's kubeconfig. */
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** kube-proxy serves Prometheus metrics on loopback only: they are not authenticated. */
export const KUBE_PROXY_METRICS_ADDRESS = "127.0.0.1:10249";
/** The health endpoint load balancers probe for `externalTrafficPolicy: Local` Services. */
export const KUBE_PROXY_HEALTHZ_ADDRESS = "0.0.0.0:10256";

/** Props of {@link KubeProxy}. */
export interface KubeProxyProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
}

/**
 * The KubeProxyConfiguration document: cluster CIDR from the spec's pod network (the value the
 * controller-manager allocates node ranges from and the CNI assigns pod addresses from), the
 * spec's mode, metrics on loopback, profiling per the security settings and kube-proxy's
 * conntrack defaults written out so they are reviewed, not implied.
 * @see https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/
 */
export function kubeProxyConfiguration(model: ClusterModel): Record<string, unknown> {
  const { networking, security } = model.spec;
  const mode = networking.kubeProxy.mode;
  const modeSettings: Record<string, Record<string, unknown>> = {
    // localhostNodePorts: false stops NodePorts answering on 127.0.0.1, which needs route_localnet.
    iptables: { masqueradeAll: false, localhostNodePorts: false, syncPeriod: "30s", minSyncPeriod: "1s" },
    ipvs: { syncPeriod: "30s", minSyncPeriod: "1s", strictARP: true },
    nftables: { masqueradeAll: false, syncPeriod: "30s", minSyncPeriod: "1s" },
  };
  return {
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig: `${CONFIG_DIR}/${KUBECONFIG_KEY}` },
    clusterCIDR: networking.podCIDR,
    detectLocalMode: "ClusterCIDR",
    mode,
    [mode]: modeSettings[mode],
    metricsBindAddress: KUBE_PROXY_METRICS_ADDRESS,
    healthzBindAddress: KUBE_PROXY_HEALTHZ_ADDRESS,
    enableProfiling: security.profiling,
    // NodePorts answer only on the node's primary addresses, not on every interface.
    nodePortAddresses: ["primary"],
    conntrack: {
      maxPerCore: 32768,
      min: 131072,
      tcpEstablishedTimeout: "24h0m0s",
      tcpCloseWaitTimeout: "1h0m0s",
    },
  };
}

/**
 * kube-proxy's kubeconfig: the API endpoint (not the `kubernetes` Service address, which
 * kube-proxy itself programs) and the pod's own service-account token, as kubeadm writes it.
 */
export function kubeProxyKubeconfig(model: ClusterModel): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "default",
        cluster: {
          "certificate-authority": `${SERVICE_ACCOUNT_DIR}/ca.crt`,
          server: model.endpoint.url,
        },
      },
    ],
    contexts: [{ name: "default", context: { cluster: "default", namespace: "default", user: "default" } }],
    "current-context": "default",
    users: [{ name: "default", user: { tokenFile: `${SERVICE_ACCOUNT_DIR}/token` } }],
  };
}

/**
 * kube-proxy as a DaemonSet on every node, following kubeadm's manifests, with one hardening:
 * the steps that need a privileged container (conntrack sysctls, kernel modules) run in a
 * `--init-only` init container, and the long-running container keeps only NET_ADMIN and
 * SYS_RESOURCE. Its ServiceAccount is bound to the built-in `system:node-proxier` role.
 * @see https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/
 */
export class KubeProxy extends Chart {
  /** The KubeProxyConfiguration in the ConfigMap. */
  readonly configuration: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: KubeProxyProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { model } = props;
    const namespace = "kube-system";
    const name = "kube-proxy";
    const labels = { "k8s-app": name };
    this.configuration = kubeProxyConfiguration(model);

    new k8s.KubeServiceAccount(this, "service-account", { metadata: { name, namespace } });
    new k8s.KubeClusterRoleBinding(this, "node-proxier", {
      metadata: { name: "kubeforge:node-proxier" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:node-proxier" },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    });
    new k8s.KubeConfigMap(this, "config", {
      metadata: { name, namespace, labels: { app: name } },
      data: {
        [CONFIG_KEY]: toYaml(this.configuration),
        [KUBECONFIG_KEY]: toYaml(kubeProxyKubeconfig(model)),
      },
    });

    const command = ["/usr/local/bin/kube-proxy", `--config=${CONFIG_DIR}/${CONFIG_KEY}`];
    const nodeName: k8s.EnvVar = {
      name: "NODE_NAME",
      valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } },
    };
    const configMount: k8s.VolumeMount = { name, mountPath: CONFIG_DIR, readOnly: true };
    const modulesMount: k8s.VolumeMount = { name: "lib-modules", mountPath: "/lib/modules", readOnly: true };
    new k8s.KubeDaemonSet(this, "daemon-set", {
      metadata: { name, namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: oneAtATime(),
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: "system-node-critical",
            hostNetwork: true,
            serviceAccountName: name,
            nodeSelector: { "kubernetes.io/os": "linux" },
            // Every node needs Service routing, whatever its taints.
            tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }, { operator: "Exists" }],
            initContainers: [
              {
                name: "kube-proxy-init",
                image: model.images.kubeProxy,
                imagePullPolicy: "IfNotPresent",
                command: [...command, "--init-only", "--hostname-override=$(NODE_NAME)"],
                env: [nodeName],
                securityContext: { privileged: true },
                volumeMounts: [configMount, modulesMount],
              },
            ],
            containers: [
              {
                name,
                image: model.images.kubeProxy,
                imagePullPolicy: "IfNotPresent",
                command: [...command, "--hostname-override=$(NODE_NAME)"],
                env: [nodeName],
                securityContext: {
                  privileged: false,
                  allowPrivilegeEscalation: false,
                  capabilities: { add: ["NET_ADMIN", "SYS_RESOURCE"] },
                },
                resources: {
                  requests: { cpu: k8s.Quantity.fromString("100m"), memory: k8s.Quantity.fromString("64Mi") },
                },
                volumeMounts: [
                  configMount,
                  { name: "xtables-lock", mountPath: "/run/xtables.lock", readOnly: false },
                  modulesMount,
                ],
              },
            ],
            volumes: [
              { name, configMap: { name } },
              { name: "xtables-lock", hostPath: { path: "/run/xtables.lock", type: "FileOrCreate" } },
              { name: "lib-modules", hostPath: { path: "/lib/modules", type: "Directory" } },
            ],
          },
        },
      },
    });
  }
}
