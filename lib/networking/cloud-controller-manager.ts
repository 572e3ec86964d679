import { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-27";
import type { Construct } from "constructs";
import type { ClusterModel } from "../spec/model";

/** cloud-controller-manager's default secure port (health and metrics). */
export const CLOUD_CONTROLLER_MANAGER_PORT = 10258;

/** Props of {@link CloudControllerManager}. */
export interface CloudControllerManagerProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
  /** The provider name passed as `--cloud-provider`, e.g. `aws`, `openstack`. */
  readonly provider: string;
  /** The provider's cloud-controller-manager image, pinned by tag or digest. */
  readonly image: string;
  /**
   * Extra arguments, e.g. `--cloud-config=/etc/cloud/cloud.conf`. A `--flag=value` here replaces
   * kubeforge's value for the same flag.
   * @default []
   */
  readonly args?: readonly string[];
}

/**
 * The flags of the cloud-controller-manager: leader-elected, each controller with its own
 * service-account credentials, serving health and metrics on loopback (the pod uses the host
 * network, so 127.0.0.1 is the control-plane node's), routes and node CIDRs left to the
 * controller-manager and the CNI. Extra `--flag=value` arguments override by flag name.
 * @see https://kubernetes.io/docs/reference/command-line-tools-reference/cloud-controller-manager/
 */
export function cloudControllerManagerArgs(
  model: ClusterModel,
  provider: string,
  extra: readonly string[] = [],
): string[] {
  const { spec } = model;
  const flags = new Map<string, string | undefined>([
    ["allocate-node-cidrs", "false"],
    ["bind-address", "127.0.0.1"],
    ["cloud-provider", provider],
    ["cluster-cidr", spec.networking.podCIDR],
    ["cluster-name", spec.name],
    ["configure-cloud-routes", "false"],
    ["leader-elect", "true"],
    ["profiling", String(spec.security.profiling)],
    ["secure-port", String(CLOUD_CONTROLLER_MANAGER_PORT)],
    ["use-service-account-credentials", "true"],
  ]);
  for (const arg of extra) {
    const match = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!match?.[1])
      throw new RangeError(`cloud-controller-manager argument '${arg}' is not --flag or --flag=value`);
    flags.set(match[1], match[2]);
  }
  return [...flags.keys()].sort().map((k) => {
    const v = flags.get(k);
    return v === undefined ? `--${k}` : `--${k}=${v}`;
  });
}

/**
 * An external cloud-controller-manager: a Deployment with one replica per control-plane node
 * (one per node, leader-elected), on the host network so it starts before any pod network, pinned
 * to the control-plane nodes by name and tolerating the taints an uninitialized node carries.
 * RBAC grants what its controllers and leader election need; each controller's own service
 * account (node-controller, service-controller, route-controller) keeps its built-in role.
 * @see https://kubernetes.io/docs/tasks/administer-cluster/running-cloud-controller/
 */
export class CloudControllerManager extends Chart {
  /** The rendered container arguments. */
  readonly args: readonly string[];

  constructor(scope: Construct, id: string, props: CloudControllerManagerProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { model } = props;
    const namespace = "kube-system";
    const name = "cloud-controller-manager";
    const labels = { "k8s-app": name };
    this.args = cloudControllerManagerArgs(model, props.provider, props.args);

    new k8s.KubeServiceAccount(this, "service-account", { metadata: { name, namespace } });
    new k8s.KubeClusterRole(this, "cluster-role", {
      metadata: { name: "system:cloud-controller-manager" },
      rules: [
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
        { apiGroups: [""], resources: ["events"], verbs: ["create", "patch", "update"] },
        {
          apiGroups: [""],
          resources: ["nodes"],
          verbs: ["get", "list", "watch", "update", "patch", "delete"],
        },
        { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch", "update"] },
        { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch", "patch", "update"] },
        { apiGroups: [""], resources: ["services/status"], verbs: ["patch", "update"] },
        // --use-service-account-credentials: fetch or create each controller's account and token.
        { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get", "create"] },
        { apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"] },
      ],
    });
    const subjects = [{ kind: "ServiceAccount", name, namespace }];
    new k8s.KubeClusterRoleBinding(this, "cluster-role-binding", {
      metadata: { name: "system:cloud-controller-manager" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "system:cloud-controller-manager",
      },
      subjects,
    });
    // Delegated authentication and authorization of its secure port, as every aggregated server does.
    new k8s.KubeClusterRoleBinding(this, "auth-delegator", {
      metadata: { name: "kubeforge:cloud-controller-manager:auth-delegator" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
      subjects,
    });
    new k8s.KubeRoleBinding(this, "authentication-reader", {
      metadata: { name: "kubeforge:cloud-controller-manager:authentication-reader", namespace },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "extension-apiserver-authentication-reader",
      },
      subjects,
    });

    const controlPlane = model.controlPlaneNodes.map((n) => n.name);
    new k8s.KubeDeployment(this, "deployment", {
      metadata: { name, namespace, labels },
      spec: {
        replicas: controlPlane.length,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            priorityClassName: "system-cluster-critical",
            hostNetwork: true,
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        { key: "kubernetes.io/hostname", operator: "In", values: controlPlane },
                      ],
                    },
                  ],
                },
              },
              // Host network: two replicas on one node would race for the same port.
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: { matchLabels: labels }, topologyKey: "kubernetes.io/hostname" },
                ],
              },
            },
            tolerations: [
              { key: "node.cloudprovider.kubernetes.io/uninitialized", value: "true", effect: "NoSchedule" },
              { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
              { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" },
              { key: "CriticalAddonsOnly", operator: "Exists" },
            ],
            securityContext: { seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name,
                image: props.image,
                imagePullPolicy: "IfNotPresent",
                args: [...this.args],
                resources: { requests: { cpu: k8s.Quantity.fromString("100m") } },
                livenessProbe: {
                  httpGet: {
                    host: "127.0.0.1",
                    path: "/healthz",
                    port: k8s.IntOrString.fromNumber(CLOUD_CONTROLLER_MANAGER_PORT),
                    scheme: "HTTPS",
                  },
                  initialDelaySeconds: 20,
                  periodSeconds: 10,
                  timeoutSeconds: 5,
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                  readOnlyRootFilesystem: true,
                },
              },
            ],
          },
        },
      },
    });
  }
}
