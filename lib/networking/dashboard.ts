import { Chart } from "cdk8s";
import { k8s } from "cdk8s-plus-27";
import type { Construct } from "constructs";

/** The dashboard image (Headlamp, the Kubernetes SIG UI web UI), pinned. */
export const DASHBOARD_IMAGE = "ghcr.io/headlamp-k8s/headlamp:v0.30.0";
/** The read-only ClusterRole for dashboard users. */
export const DASHBOARD_VIEWER_ROLE = "kubeforge:dashboard-viewer";
/** A ServiceAccount holding only the viewer role: `kubectl -n kube-system create token` it to log in read-only. */
export const DASHBOARD_VIEWER_ACCOUNT = "kubeforge-dashboard-viewer";
const RBAC = "rbac.authorization.k8s.io";
const PORT = 4466;
const READ = ["get", "list", "watch"];

/**
 * What the viewer may read: workloads, networking, storage and cluster state, resource by resource
 * (no wildcards), and never Secrets.
 */
export const DASHBOARD_VIEWER_RULES: readonly k8s.PolicyRule[] = [
  {
    apiGroups: [""],
    resources: [
      "configmaps",
      "endpoints",
      "events",
      "limitranges",
      "namespaces",
      "nodes",
      "persistentvolumeclaims",
      "persistentvolumes",
      "pods",
      "pods/log",
      "replicationcontrollers",
      "resourcequotas",
      "serviceaccounts",
      "services",
    ],
    verbs: READ,
  },
  {
    apiGroups: ["apps"],
    resources: ["daemonsets", "deployments", "replicasets", "statefulsets"],
    verbs: READ,
  },
  { apiGroups: ["batch"], resources: ["cronjobs", "jobs"], verbs: READ },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: READ },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: READ },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: READ },
  {
    apiGroups: ["networking.k8s.io"],
    resources: ["ingressclasses", "ingresses", "networkpolicies"],
    verbs: READ,
  },
  { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: READ },
  { apiGroups: ["metrics.k8s.io"], resources: ["nodes", "pods"], verbs: READ },
];

/**
 * An optional web dashboard (`monitoring.dashboard`): Headlamp in kube-system, reachable through
 * `kubectl port-forward` only (a ClusterIP Service). It acts with the token each user logs in with,
 * so its own ServiceAccount is bound to nothing; the read-only `kubeforge-dashboard-viewer` identity
 * exists for people who should only look.
 * @see https://headlamp.dev/docs/latest/installation/in-cluster/
 */
export class Dashboard extends Chart {
  constructor(scope: Construct, id: string) {
    super(scope, id, { disableResourceNameHashes: true });
    const namespace = "kube-system";
    const name = "kubeforge-dashboard";
    const labels = { "app.kubernetes.io/name": name };

    new k8s.KubeServiceAccount(this, "service-account", { metadata: { name, namespace, labels } });
    new k8s.KubeServiceAccount(this, "viewer", {
      metadata: { name: DASHBOARD_VIEWER_ACCOUNT, namespace, labels },
    });
    new k8s.KubeClusterRole(this, "viewer-role", {
      metadata: { name: DASHBOARD_VIEWER_ROLE, labels },
      rules: [...DASHBOARD_VIEWER_RULES],
    });
    new k8s.KubeClusterRoleBinding(this, "viewer-binding", {
      metadata: { name: DASHBOARD_VIEWER_ROLE, labels },
      roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: DASHBOARD_VIEWER_ROLE },
      subjects: [{ kind: "ServiceAccount", name: DASHBOARD_VIEWER_ACCOUNT, namespace }],
    });
    new k8s.KubeService(this, "service", {
      metadata: { name, namespace, labels },
      spec: {
        type: "ClusterIP",
        selector: labels,
        ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: k8s.IntOrString.fromString("http") }],
      },
    });
    const probe: k8s.Probe = {
      httpGet: { path: "/", port: k8s.IntOrString.fromString("http"), scheme: "HTTP" },
      initialDelaySeconds: 10,
      timeoutSeconds: 5,
    };
    new k8s.KubeDeployment(this, "deployment", {
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            // Headlamp's in-cluster mode reads the API address and CA through the pod's mounted
            // service-account files; the account is bound to nothing, requests carry the user's token.
            automountServiceAccountToken: true,
            nodeSelector: { "kubernetes.io/os": "linux" },
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 100,
              runAsGroup: 101,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
              {
                name: "headlamp",
                image: DASHBOARD_IMAGE,
                imagePullPolicy: "IfNotPresent",
                args: ["-in-cluster", "-plugins-dir=/headlamp/plugins"],
                ports: [{ name: "http", containerPort: PORT, protocol: "TCP" }],
                livenessProbe: probe,
                readinessProbe: probe,
                resources: {
                  requests: { cpu: k8s.Quantity.fromString("50m"), memory: k8s.Quantity.fromString("64Mi") },
                  limits: { memory: k8s.Quantity.fromString("256Mi") },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ["ALL"] },
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                },
                volumeMounts: [
                  { name: "plugins", mountPath: "/headlamp/plugins" },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
            volumes: [
              { name: "plugins", emptyDir: {} },
              { name: "tmp", emptyDir: {} },
            ],
          },
        },
      },
    });
  }
}
