/**
 * The API server audit policy. Rules match first-to-last, so the order matters:
 * noisy read-only system traffic is dropped first, then Secret-like resources are logged at
 * Metadata (never their bodies), then RBAC and admission changes with full request and response,
 * other writes with their request, and everything else at Metadata.
 * @see https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/
 */
export function auditPolicy(): Record<string, unknown> {
  const writeVerbs = ["create", "update", "patch", "delete", "deletecollection"];
  return {
    apiVersion: "audit.k8s.io/v1",
    kind: "Policy",
    omitStages: ["RequestReceived"],
    rules: [
      {
        level: "None",
        users: ["system:kube-proxy"],
        verbs: ["watch"],
        resources: [
          { group: "", resources: ["endpoints", "services", "services/status"] },
          { group: "discovery.k8s.io", resources: ["endpointslices"] },
        ],
      },
      {
        level: "None",
        userGroups: ["system:nodes"],
        verbs: ["get"],
        resources: [{ group: "", resources: ["nodes", "nodes/status"] }],
      },
      {
        level: "None",
        users: ["system:kube-controller-manager", "system:kube-scheduler"],
        verbs: ["get", "update"],
        namespaces: ["kube-system"],
        resources: [{ group: "coordination.k8s.io", resources: ["leases"] }],
      },
      {
        level: "None",
        nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics"],
      },
      {
        level: "None",
        resources: [
          { group: "", resources: ["events"] },
          { group: "events.k8s.io", resources: ["events"] },
        ],
      },
      {
        level: "Metadata",
        resources: [
          { group: "", resources: ["secrets", "configmaps", "serviceaccounts/token"] },
          { group: "authentication.k8s.io", resources: ["tokenreviews"] },
          { group: "certificates.k8s.io", resources: ["certificatesigningrequests"] },
        ],
      },
      {
        level: "RequestResponse",
        verbs: writeVerbs,
        resources: [{ group: "rbac.authorization.k8s.io" }, { group: "admissionregistration.k8s.io" }],
      },
      { level: "Request", verbs: writeVerbs },
      { level: "Metadata" },
    ],
  };
}
