import { ADMISSION_CONFIG_PATH, type PodSecurityLevel, podSecurityRank } from "../../security/pod-security";
import { AUDIT_LEVELS, auditLevelFor, bodyLoggingRule } from "../audit-policy-rules";
import {
  type AuditContext,
  acrossNodes,
  at,
  type CheckDefinition,
  fail,
  pass,
  type StaticPod,
  undecidable,
  type Verdict,
} from "../check";
import type { ApiObject, AuditNode } from "../tree";

function onApiServer(check: (pod: StaticPod, node: AuditNode, ctx: AuditContext) => Verdict) {
  return (ctx: AuditContext) =>
    acrossNodes(ctx.nodesRunning("kube-apiserver"), "no node runs kube-apiserver", (node) => {
      const pod = ctx.staticPod(node, "kube-apiserver");
      return pod
        ? check(pod, node, ctx)
        : undecidable("the kube-apiserver manifest is missing or unreadable");
    });
}

const name = (o: ApiObject): string => {
  const ns = at(o, "metadata.namespace");
  return `${String(o.kind)} ${ns ? `${String(ns)}/` : ""}${String(at(o, "metadata.name"))}`;
};

/** Resources whose bodies hold credentials or configuration secrets (CIS 3.2.2). */
const NO_BODY: readonly [string, string][] = [
  ["", "secrets"],
  ["", "configmaps"],
  ["authentication.k8s.io", "tokenreviews"],
];

/** Requests CIS 3.2.2 wants recorded, at least at Metadata. */
const MUST_LOG: readonly {
  label: string;
  group: string;
  resource: string;
  subresource?: string;
  verb: string;
}[] = [
  { label: "pod changes", group: "", resource: "pods", verb: "create" },
  { label: "Deployment changes", group: "apps", resource: "deployments", verb: "update" },
  { label: "pods/exec", group: "", resource: "pods", subresource: "exec", verb: "create" },
  { label: "pods/portforward", group: "", resource: "pods", subresource: "portforward", verb: "create" },
  { label: "pods/proxy", group: "", resource: "pods", subresource: "proxy", verb: "get" },
  { label: "services/proxy", group: "", resource: "services", subresource: "proxy", verb: "get" },
];

const auditPolicyContent = onApiServer((pod, node, ctx) => {
  const file = pod.flags.get("audit-policy-file");
  if (!file) return fail("no --audit-policy-file: nothing is audited");
  const policy = ctx.yamlOf(node, file);
  if (policy === undefined) return undecidable(`${file} is not in the synthesized output`);
  const leaks = NO_BODY.map(([g, r]) => ({ r, rule: bodyLoggingRule(policy, g, r) })).filter((x) => x.rule);
  if (leaks.length > 0) {
    return fail(
      leaks.map((l) => `${l.r} bodies can be logged (rule ${l.rule?.index} at ${l.rule?.level})`).join("; "),
    );
  }
  const request = { user: "alice", groups: ["system:authenticated"], namespace: "team" };
  const unlogged = MUST_LOG.filter((m) => auditLevelFor(policy, { ...request, ...m }) === "None");
  if (unlogged.length > 0) return fail(`not logged: ${unlogged.map((m) => m.label).join(", ")}`);
  return pass(
    `${file}: Secret, ConfigMap and TokenReview bodies never logged; ${MUST_LOG.map((m) => m.label).join(", ")} logged at ${AUDIT_LEVELS[1]} or more`,
  );
});

/** The PodSecurity plugin's cluster-wide enforce level from the AdmissionConfiguration. */
function enforceLevel(pod: StaticPod, node: AuditNode, ctx: AuditContext): PodSecurityLevel | Verdict {
  const file = pod.flags.get("admission-control-config-file");
  if (!file)
    return fail("no --admission-control-config-file: Pod Security Admission enforces privileged (nothing)");
  const config = ctx.yamlOf(node, file);
  if (config === undefined) return undecidable(`${file} is not in the synthesized output`);
  const plugins = (at(config, "plugins") ?? []) as { name?: string; configuration?: unknown }[];
  const psa = plugins.find((p) => p.name === "PodSecurity");
  if (!psa) return fail(`${file} does not configure PodSecurity: it enforces privileged (nothing)`);
  if (list(pod.flags.get("disable-admission-plugins")).includes("PodSecurity"))
    return fail("PodSecurity is disabled");
  const level = String(at(psa.configuration, "defaults.enforce") ?? "privileged") as PodSecurityLevel;
  return level;
}

const list = (value: string | undefined): string[] => (value ? value.split(",").map((v) => v.trim()) : []);

/** A 5.2.x check: what is admitted depends on the cluster-wide enforce level. */
function podSecurity(minimum: PodSecurityLevel, what: string) {
  return onApiServer((pod, node, ctx) => {
    const level = enforceLevel(pod, node, ctx);
    if (typeof level !== "string") return level;
    return podSecurityRank(level) >= podSecurityRank(minimum)
      ? pass(`Pod Security Admission enforces ${level} by default, which rejects ${what}`)
      : fail(`Pod Security Admission enforces ${level} by default; rejecting ${what} needs ${minimum}`);
  });
}

interface Grant {
  readonly group: string;
  readonly resource: string;
  readonly verbs: readonly string[];
}

interface Rule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly verbs?: readonly string[];
}

function grants(rule: Rule, g: Grant): boolean {
  const groups = rule.apiGroups ?? [];
  const resources = rule.resources ?? [];
  const verbs = rule.verbs ?? [];
  return (
    (groups.includes("*") || groups.includes(g.group)) &&
    (resources.includes("*") || resources.includes(g.resource)) &&
    (verbs.includes("*") || g.verbs.some((v) => verbs.includes(v)))
  );
}

/** Roles and ClusterRoles defined in the output that grant any of the given permissions. */
function rolesGranting(ctx: AuditContext, wanted: readonly Grant[], label: string): Verdict {
  const roles = ctx.objectsOfKind("Role", "ClusterRole");
  const offenders = roles.filter((r) =>
    ((r.rules ?? []) as Rule[]).some((rule) => wanted.some((w) => grants(rule, w))),
  );
  if (offenders.length > 0) return fail(`${label} granted by ${offenders.map(name).join(", ")}`);
  return pass(
    `none of the ${roles.length} roles in the synthesized objects grants ${label} (built-in roles are outside this audit)`,
  );
}

/** Bindings in the output that give a permission-bearing built-in role to every authenticated user. */
function broadBindings(ctx: AuditContext, roles: readonly string[], label: string): Verdict {
  const broad = ["system:authenticated", "system:unauthenticated", "system:serviceaccounts"];
  const bindings = ctx
    .objectsOfKind("ClusterRoleBinding", "RoleBinding")
    .filter(
      (b) =>
        roles.includes(String(at(b, "roleRef.name"))) &&
        ((b.subjects ?? []) as { name?: string }[]).some((s) => broad.includes(String(s.name))),
    );
  if (bindings.length > 0)
    return fail(`${bindings.map(name).join(", ")} give ${label} to every authenticated user`);
  return pass(`no synthesized binding gives ${label} to a catch-all group`);
}

const WORKLOAD_KINDS = ["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "CronJob", "Pod"];

interface Workload {
  readonly object: ApiObject;
  readonly pod: Record<string, unknown>;
}

function workloads(ctx: AuditContext): Workload[] {
  return ctx.objectsOfKind(...WORKLOAD_KINDS).map((o) => ({
    object: o,
    pod: ((o.kind === "Pod"
      ? o.spec
      : o.kind === "CronJob"
        ? at(o, "spec.jobTemplate.spec.template.spec")
        : at(o, "spec.template.spec")) ?? {}) as Record<string, unknown>,
  }));
}

function containersOf(pod: Record<string, unknown>): Record<string, unknown>[] {
  return [
    ...((pod.initContainers ?? []) as Record<string, unknown>[]),
    ...((pod.containers ?? []) as Record<string, unknown>[]),
  ];
}

function overWorkloads(
  ctx: AuditContext,
  test: (w: Workload) => string | undefined,
  passed: string,
): Verdict {
  const all = workloads(ctx);
  if (all.length === 0) return undecidable("no add-on workloads in the synthesized objects");
  const problems = all.map((w) => ({ w, problem: test(w) })).filter((x) => x.problem);
  return problems.length > 0
    ? fail(problems.map((p) => `${name(p.w.object)}: ${p.problem}`).join("; "))
    : pass(`${all.length} add-on workloads ${passed}`);
}

/** A workload mounts a token while its service account has no binding that would make the token useful. */
const tokensWhereNeeded = (ctx: AuditContext): Verdict => {
  const bound = new Set<string>();
  for (const b of ctx.objectsOfKind("ClusterRoleBinding", "RoleBinding")) {
    for (const s of (b.subjects ?? []) as { kind?: string; name?: string; namespace?: string }[]) {
      if (s.kind === "ServiceAccount") bound.add(`${s.namespace ?? at(b, "metadata.namespace")}/${s.name}`);
    }
  }
  const automountOff = new Set(
    ctx
      .objectsOfKind("ServiceAccount")
      .filter((sa) => sa.automountServiceAccountToken === false)
      .map((sa) => `${String(at(sa, "metadata.namespace"))}/${String(at(sa, "metadata.name"))}`),
  );
  return overWorkloads(
    ctx,
    (w) => {
      const sa = `${String(at(w.object, "metadata.namespace") ?? "default")}/${String(w.pod.serviceAccountName ?? "default")}`;
      const mounts = w.pod.automountServiceAccountToken ?? !automountOff.has(sa);
      if (!mounts) return undefined;
      return bound.has(sa)
        ? undefined
        : `mounts a token for ${sa}, which no synthesized binding grants anything`;
    },
    "mount a service-account token only when their account is bound to a role",
  );
};

const seccompOnAddOns = (ctx: AuditContext): Verdict =>
  overWorkloads(
    ctx,
    (w) => {
      const podProfile = at(w.pod, "securityContext.seccompProfile.type");
      const ok = (t: unknown) => t === "RuntimeDefault" || t === "Localhost";
      if (ok(podProfile)) return undefined;
      const bare = containersOf(w.pod).filter((c) => !ok(at(c, "securityContext.seccompProfile.type")));
      return bare.length === 0
        ? undefined
        : `no RuntimeDefault seccomp profile for ${bare.map((c) => String(c.name)).join(", ")}`;
    },
    "set a RuntimeDefault (or Localhost) seccomp profile",
  );

const securityContexts = (ctx: AuditContext): Verdict =>
  overWorkloads(
    ctx,
    (w) => {
      const bare = containersOf(w.pod).filter((c) => c.securityContext === undefined);
      return bare.length === 0
        ? undefined
        : `no securityContext on ${bare.map((c) => String(c.name)).join(", ")}`;
    },
    "set a securityContext on every container",
  );

const NON_NAMESPACED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PriorityClass",
  "StorageClass",
  "PersistentVolume",
  "Node",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "APIService",
  "CSIDriver",
  "RuntimeClass",
  "IngressClass",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
]);

const defaultNamespace = (ctx: AuditContext): Verdict => {
  const used = ctx.tree.objects.filter(
    (o) =>
      !NON_NAMESPACED.has(String(o.kind)) &&
      o.kind !== "NetworkPolicy" &&
      (at(o, "metadata.namespace") ?? "default") === "default",
  );
  return used.length > 0
    ? fail(`in the default namespace: ${used.map(name).join(", ")}`)
    : pass(`none of the ${ctx.tree.objects.length} synthesized objects lives in the default namespace`);
};

const networkPolicyCni = (ctx: AuditContext): Verdict => {
  const names = ctx.objectsOfKind("DaemonSet").map((d) => String(at(d, "metadata.name")));
  if (names.some((n) => /calico|cilium|antrea|kube-router/.test(n)))
    return pass(`${names.find((n) => /calico|cilium|antrea|kube-router/.test(n))} enforces NetworkPolicy`);
  if (names.some((n) => /flannel/.test(n))) return fail("flannel does not enforce NetworkPolicy objects");
  return undecidable(
    "no CNI DaemonSet in the synthesized objects (networking.cni.plugin: none, or not yet synthesized)",
  );
};

const namespacesHavePolicies = (ctx: AuditContext): Verdict => {
  const namespaces = new Set([
    "default",
    ...ctx.objectsOfKind("Namespace").map((n) => String(at(n, "metadata.name"))),
  ]);
  const covered = new Set(
    ctx.objectsOfKind("NetworkPolicy").map((p) => String(at(p, "metadata.namespace") ?? "default")),
  );
  const bare = [...namespaces].filter((n) => !covered.has(n)).sort();
  return bare.length > 0
    ? fail(`no NetworkPolicy in ${bare.join(", ")}`)
    : pass(`every namespace (${[...namespaces].sort().join(", ")}) has a NetworkPolicy`);
};

const clusterAdminBindings = (ctx: AuditContext): Verdict => {
  const bindings = ctx
    .objectsOfKind("ClusterRoleBinding", "RoleBinding")
    .filter((b) => at(b, "roleRef.name") === "cluster-admin");
  const serviceAccounts = bindings.filter((b) =>
    ((b.subjects ?? []) as { kind?: string }[]).some((s) => s.kind === "ServiceAccount"),
  );
  if (serviceAccounts.length > 0)
    return fail(`cluster-admin is bound to service accounts by ${serviceAccounts.map(name).join(", ")}`);
  const holders = bindings.flatMap((b) =>
    ((b.subjects ?? []) as { kind?: string; name?: string }[]).map((s) => `${s.kind} ${s.name}`),
  );
  return pass(
    bindings.length === 0
      ? "no synthesized binding uses cluster-admin"
      : `cluster-admin is bound only to the operators' identity (${holders.join(", ")}); no add-on holds it`,
  );
};

const manual = (reason: string) => () => undecidable(reason);

/** Sections 3 (control plane configuration) and 5 (policies): what the synthesized objects decide. */
export const POLICY_CHECKS: readonly CheckDefinition[] = [
  {
    id: "3.1.1",
    automated: false,
    title: "Client certificate authentication is not used for users",
    evaluate: onApiServer((_pod, node, ctx) => {
      const admin = ctx.yamlOf(node, "/etc/kubernetes/admin.conf");
      const users = (at(admin, "users") ?? []) as { user?: Record<string, unknown> }[];
      if (admin === undefined) return undecidable("no admin kubeconfig in the output");
      return users.some((u) => u.user?.["client-certificate"] || u.user?.["client-certificate-data"])
        ? fail("the admin kubeconfig authenticates with a client certificate; add an OIDC issuer for people")
        : pass("the admin kubeconfig does not use a client certificate");
    }),
  },
  {
    id: "3.1.2",
    automated: false,
    title: "Service account token authentication is not used for users",
    evaluate: manual("who uses service-account tokens is not in the configuration"),
  },
  {
    id: "3.1.3",
    automated: false,
    title: "Bootstrap token authentication is not used for users",
    evaluate: onApiServer((pod) =>
      pod.flags.get("enable-bootstrap-token-auth") === "true"
        ? fail("--enable-bootstrap-token-auth=true")
        : pass("bootstrap-token authentication is off"),
    ),
  },
  {
    id: "3.2.1",
    automated: false,
    title: "A minimal audit policy is created",
    evaluate: onApiServer((pod, node) => {
      const file = pod.flags.get("audit-policy-file");
      if (!file) return fail("no --audit-policy-file");
      return node.files.has(file)
        ? pass(`--audit-policy-file=${file}`)
        : fail(`--audit-policy-file=${file} is not delivered to the node`);
    }),
  },
  {
    id: "3.2.2",
    automated: false,
    title: "The audit policy covers key security concerns",
    evaluate: auditPolicyContent,
  },

  {
    id: "5.1.1",
    automated: false,
    title: "The cluster-admin role is only used where required",
    evaluate: clusterAdminBindings,
  },
  {
    id: "5.1.2",
    automated: false,
    title: "Minimize access to secrets",
    evaluate: (ctx) =>
      worst(
        rolesGranting(
          ctx,
          [{ group: "", resource: "secrets", verbs: ["get", "list", "watch"] }],
          "read access to Secrets",
        ),
        broadBindings(ctx, ["cluster-admin", "admin", "edit", "view"], "Secret access"),
      ),
  },
  {
    id: "5.1.3",
    automated: false,
    title: "Minimize wildcard use in Roles and ClusterRoles",
    evaluate: wildcards,
  },
  {
    id: "5.1.4",
    automated: false,
    title: "Minimize access to create pods",
    evaluate: (ctx) =>
      worst(
        rolesGranting(ctx, [{ group: "", resource: "pods", verbs: ["create"] }], "pod creation"),
        broadBindings(ctx, ["cluster-admin", "admin", "edit"], "pod creation"),
      ),
  },
  {
    id: "5.1.5",
    automated: false,
    title: "Default service accounts are not actively used",
    evaluate: manual("default service accounts are created by the controller-manager in a running cluster"),
  },
  {
    id: "5.1.6",
    automated: false,
    title: "Service account tokens are only mounted where necessary",
    evaluate: tokensWhereNeeded,
  },
  {
    id: "5.1.7",
    automated: false,
    title: "Avoid use of the system:masters group",
    evaluate: manual("group membership is in certificate subjects, delivered at apply time"),
  },
  {
    id: "5.1.8",
    automated: false,
    title: "Limit use of the bind, impersonate and escalate permissions",
    evaluate: (ctx) =>
      rolesGranting(
        ctx,
        [
          { group: "rbac.authorization.k8s.io", resource: "clusterroles", verbs: ["bind", "escalate"] },
          { group: "rbac.authorization.k8s.io", resource: "roles", verbs: ["bind", "escalate"] },
          { group: "", resource: "users", verbs: ["impersonate"] },
          { group: "", resource: "groups", verbs: ["impersonate"] },
          { group: "", resource: "serviceaccounts", verbs: ["impersonate"] },
        ],
        "bind, escalate or impersonate",
      ),
  },
  {
    id: "5.1.9",
    automated: false,
    title: "Minimize access to create persistent volumes",
    evaluate: (ctx) =>
      rolesGranting(
        ctx,
        [{ group: "", resource: "persistentvolumes", verbs: ["create"] }],
        "PersistentVolume creation",
      ),
  },
  {
    id: "5.1.10",
    automated: false,
    title: "Minimize access to the proxy sub-resource of nodes",
    evaluate: (ctx) =>
      rolesGranting(
        ctx,
        [{ group: "", resource: "nodes/proxy", verbs: ["get", "create", "*"] }],
        "nodes/proxy",
      ),
  },
  {
    id: "5.1.11",
    automated: false,
    title: "Minimize access to the approval sub-resource of CSRs",
    evaluate: (ctx) =>
      rolesGranting(
        ctx,
        [
          {
            group: "certificates.k8s.io",
            resource: "certificatesigningrequests/approval",
            verbs: ["update", "patch"],
          },
        ],
        "CSR approval",
      ),
  },
  {
    id: "5.1.12",
    automated: false,
    title: "Minimize access to webhook configuration objects",
    evaluate: (ctx) =>
      rolesGranting(
        ctx,
        ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"].map((resource) => ({
          group: "admissionregistration.k8s.io",
          resource,
          verbs: ["create", "update", "patch", "delete"],
        })),
        "webhook configuration changes",
      ),
  },
  {
    id: "5.1.13",
    automated: false,
    title: "Minimize access to service account token creation",
    evaluate: (ctx) =>
      rolesGranting(
        ctx,
        [{ group: "", resource: "serviceaccounts/token", verbs: ["create"] }],
        "service-account token creation",
      ),
  },

  {
    id: "5.2.1",
    automated: false,
    title: "The cluster has at least one active policy control mechanism",
    evaluate: onApiServer((pod, node, ctx) => {
      const level = enforceLevel(pod, node, ctx);
      if (typeof level !== "string") return level;
      return level === "privileged"
        ? fail(
            `Pod Security Admission is configured (${ADMISSION_CONFIG_PATH}) but enforces privileged, which admits everything`,
          )
        : pass(`Pod Security Admission enforces ${level} in every namespace without its own label`);
    }),
  },
  {
    id: "5.2.2",
    automated: false,
    title: "Minimize the admission of privileged containers",
    evaluate: podSecurity("baseline", "privileged containers"),
  },
  {
    id: "5.2.3",
    automated: false,
    title: "Minimize the admission of containers sharing the host PID namespace",
    evaluate: podSecurity("baseline", "hostPID"),
  },
  {
    id: "5.2.4",
    automated: false,
    title: "Minimize the admission of containers sharing the host IPC namespace",
    evaluate: podSecurity("baseline", "hostIPC"),
  },
  {
    id: "5.2.5",
    automated: false,
    title: "Minimize the admission of containers sharing the host network namespace",
    evaluate: podSecurity("baseline", "hostNetwork"),
  },
  {
    id: "5.2.6",
    automated: false,
    title: "Minimize the admission of containers with allowPrivilegeEscalation",
    evaluate: podSecurity("restricted", "allowPrivilegeEscalation"),
  },
  {
    id: "5.2.7",
    automated: false,
    title: "Minimize the admission of root containers",
    evaluate: podSecurity("restricted", "containers that may run as root"),
  },
  {
    id: "5.2.8",
    automated: false,
    title: "Minimize the admission of containers with the NET_RAW capability",
    evaluate: podSecurity("restricted", "containers keeping NET_RAW"),
  },
  {
    id: "5.2.9",
    automated: false,
    title: "Minimize the admission of containers with capabilities assigned",
    evaluate: podSecurity("restricted", "containers that do not drop all capabilities"),
  },
  {
    id: "5.2.10",
    automated: false,
    title: "Minimize the admission of Windows HostProcess containers",
    evaluate: podSecurity("baseline", "Windows HostProcess containers"),
  },
  {
    id: "5.2.11",
    automated: false,
    title: "Minimize the admission of HostPath volumes",
    evaluate: podSecurity("baseline", "hostPath volumes"),
  },
  {
    id: "5.2.12",
    automated: false,
    title: "Minimize the admission of containers which use HostPorts",
    evaluate: podSecurity("baseline", "host ports"),
  },

  {
    id: "5.3.1",
    automated: false,
    title: "The CNI in use supports NetworkPolicies",
    evaluate: networkPolicyCni,
  },
  {
    id: "5.3.2",
    automated: false,
    title: "All namespaces have NetworkPolicies defined",
    evaluate: namespacesHavePolicies,
  },

  {
    id: "5.4.1",
    automated: false,
    title: "Prefer Secrets as files over Secrets as environment variables",
    evaluate: manual("applications are not part of the synthesized output"),
  },
  {
    id: "5.4.2",
    automated: false,
    title: "Consider external secret storage",
    evaluate: manual("a design decision outside the configuration"),
  },
  {
    id: "5.5.1",
    automated: false,
    title: "Image provenance is configured with ImagePolicyWebhook",
    evaluate: onApiServer((pod) =>
      list(pod.flags.get("enable-admission-plugins")).includes("ImagePolicyWebhook")
        ? pass("ImagePolicyWebhook is enabled")
        : fail(
            "ImagePolicyWebhook is not enabled (kubeforge pins its own images by version; provenance of other images is not checked)",
          ),
    ),
  },
  {
    id: "5.6.1",
    automated: false,
    title: "Administrative boundaries between resources use namespaces",
    evaluate: manual("how workloads are split into namespaces is the operator's design"),
  },
  {
    id: "5.6.2",
    automated: false,
    title: "The seccomp profile is RuntimeDefault in pod definitions",
    evaluate: seccompOnAddOns,
  },
  {
    id: "5.6.3",
    automated: false,
    title: "A SecurityContext is applied to pods and containers",
    evaluate: securityContexts,
  },
  { id: "5.6.4", automated: false, title: "The default namespace is not used", evaluate: defaultNamespace },
];

function wildcards(ctx: AuditContext): Verdict {
  const roles = ctx.objectsOfKind("Role", "ClusterRole");
  const offenders = roles.filter((r) =>
    ((r.rules ?? []) as Rule[]).some((rule) =>
      [rule.apiGroups, rule.resources, rule.verbs].some((l) => l?.includes("*")),
    ),
  );
  return offenders.length > 0
    ? fail(`wildcards in ${offenders.map(name).join(", ")}`)
    : pass(`no wildcard in the ${roles.length} roles of the synthesized objects`);
}

function worst(...verdicts: Verdict[]): Verdict {
  return (
    verdicts.find((v) => v.status === "FAIL") ??
    verdicts.find((v) => v.status === "NOT_DECIDABLE") ??
    pass(verdicts.map((v) => v.reason).join("; "))
  );
}
