import { ENCRYPTION_PROVIDER_ANNOTATION } from "../../control-plane/api-server";
import { paths } from "../../paths";
import { ANONYMOUS_HEALTH_PATHS } from "../../security/authentication-config";
import {
  type AuditContext,
  acrossNodes,
  at,
  type CheckDefinition,
  fail,
  fileVerdict,
  octal,
  pass,
  type StaticPod,
  undecidable,
  type Verdict,
  withinMode,
} from "../check";
import { AUDIT_LOG_MINIMUMS } from "../opt-outs";
import type { AuditNode } from "../tree";

/** CIS 1.2.29's list of strong TLS cipher suites. */
export const CIS_STRONG_CIPHERS: readonly string[] = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

/** Encryption providers CIS 1.2.28 accepts. */
const STRONG_PROVIDERS = ["aescbc", "kms", "secretbox"];

type PodCheck = (pod: StaticPod, node: AuditNode, ctx: AuditContext) => Verdict;

/** Evaluates a check on every node that runs the static pod `component`. */
function onPod(component: string, check: PodCheck): (ctx: AuditContext) => Verdict {
  return (ctx) =>
    acrossNodes(ctx.nodesRunning(component), `no node runs ${component}`, (node) => {
      const pod = ctx.staticPod(node, component);
      return pod ? check(pod, node, ctx) : undecidable(`the ${component} manifest is missing or unreadable`);
    });
}

const list = (value: string | undefined): string[] => (value ? value.split(",").map((v) => v.trim()) : []);
const shown = (flag: string, pod: StaticPod) =>
  pod.flags.has(flag) ? `--${flag}=${pod.flags.get(flag)}` : `--${flag} is not set`;

function flagsSet(...names: string[]): PodCheck {
  return (pod) => {
    const missing = names.filter((n) => !pod.flags.get(n));
    return missing.length === 0
      ? pass(names.map((n) => `--${n}=${pod.flags.get(n)}`).join(" "))
      : fail(`${missing.map((n) => `--${n}`).join(" and ")} not set`);
  };
}

function flagEquals(name: string, expected: string, unsetPasses = false): PodCheck {
  return (pod) => {
    const value = pod.flags.get(name);
    if (value === undefined)
      return unsetPasses ? pass(`--${name} is not set (default)`) : fail(`--${name} is not set`);
    return value === expected ? pass(`--${name}=${value}`) : fail(`--${name}=${value}, expected ${expected}`);
  };
}

function flagAtLeast(name: string, minimum: number): PodCheck {
  return (pod) => {
    const value = pod.flags.get(name);
    if (value === undefined) return fail(`--${name} is not set`);
    return Number(value) >= minimum
      ? pass(`--${name}=${value}`)
      : fail(`--${name}=${value}, below ${minimum}`);
  };
}

function pluginEnabled(plugin: string): PodCheck {
  return (pod) =>
    list(pod.flags.get("enable-admission-plugins")).includes(plugin)
      ? pass(`${plugin} is in ${shown("enable-admission-plugins", pod)}`)
      : fail(`${plugin} is not enabled (${shown("enable-admission-plugins", pod)})`);
}

function pluginNotDisabled(plugin: string): PodCheck {
  return (pod) =>
    list(pod.flags.get("disable-admission-plugins")).includes(plugin)
      ? fail(`${plugin} is disabled by ${shown("disable-admission-plugins", pod)}`)
      : pass(`${plugin} is not disabled (on by default)`);
}

function authorizationMode(test: (modes: string[]) => string | undefined): PodCheck {
  return (pod) => {
    if (pod.flags.has("authorization-config") && !pod.flags.has("authorization-mode")) {
      return undecidable(
        "authorizers are configured in --authorization-config, which this audit does not read",
      );
    }
    const modes = list(pod.flags.get("authorization-mode") ?? "AlwaysAllow");
    const problem = test(modes);
    return problem
      ? fail(`${problem} (${shown("authorization-mode", pod)})`)
      : pass(shown("authorization-mode", pod));
  };
}

/** The anonymous authenticator: a flag, or the AuthenticationConfiguration's `anonymous` section. */
const anonymousAuth: PodCheck = (pod, node, ctx) => {
  const flag = pod.flags.get("anonymous-auth");
  if (flag === "true") return fail("--anonymous-auth=true: anonymous requests reach every API path");
  if (flag === "false") return pass("--anonymous-auth=false");
  const configPath = pod.flags.get("authentication-config");
  if (!configPath)
    return fail(
      "neither --anonymous-auth=false nor --authentication-config is set (default: anonymous allowed)",
    );
  const config = ctx.yamlOf(node, configPath);
  if (config === undefined) return undecidable(`${configPath} is not in the synthesized output`);
  const anonymous = at(config, "anonymous") as
    | { enabled?: boolean; conditions?: { path?: string }[] }
    | undefined;
  if (anonymous?.enabled !== true) return pass(`${configPath} disables the anonymous authenticator`);
  const allowed = (anonymous.conditions ?? []).map((c) => c.path ?? "");
  if (allowed.length === 0) return fail(`${configPath} enables anonymous requests on every path`);
  const extra = allowed.filter((p) => !ANONYMOUS_HEALTH_PATHS.includes(p));
  return extra.length === 0
    ? pass(
        `anonymous requests are limited to ${allowed.join(", ")} by ${configPath} (probes need them); the intent of --anonymous-auth=false is met`,
      )
    : fail(`${configPath} allows anonymous requests to ${extra.join(", ")}`);
};

const encryptionConfig: PodCheck = (pod, node) => {
  const file = pod.flags.get("encryption-provider-config");
  if (!file) return fail("--encryption-provider-config is not set: Secrets are stored unencrypted");
  const delivered = node.secrets.has(file) || node.files.has(file);
  return delivered
    ? pass(`--encryption-provider-config=${file}, delivered to the node at apply time`)
    : fail(`--encryption-provider-config=${file}, but nothing delivers that file to the node`);
};

const encryptionProvider: PodCheck = (pod) => {
  if (!pod.flags.get("encryption-provider-config"))
    return fail("no --encryption-provider-config: no provider");
  const provider = pod.annotations[ENCRYPTION_PROVIDER_ANNOTATION];
  if (!provider) {
    return undecidable(
      `the EncryptionConfiguration is secret and the pod has no ${ENCRYPTION_PROVIDER_ANNOTATION} annotation naming its provider`,
    );
  }
  return STRONG_PROVIDERS.includes(provider)
    ? pass(`provider ${provider} (${ENCRYPTION_PROVIDER_ANNOTATION})`)
    : fail(`provider ${provider} is not one of ${STRONG_PROVIDERS.join(", ")}`);
};

const strongCiphers: PodCheck = (pod) => {
  const suites = list(pod.flags.get("tls-cipher-suites"));
  if (suites.length === 0) return fail("--tls-cipher-suites is not set (Go's defaults include weak suites)");
  const weak = suites.filter((s) => !CIS_STRONG_CIPHERS.includes(s));
  return weak.length === 0 ? pass(`${suites.length} strong suites`) : fail(`weak suites: ${weak.join(", ")}`);
};

/** kube-scheduler profiling: the flag if given, else the KubeSchedulerConfiguration (default on). */
const schedulerProfiling: PodCheck = (pod, node, ctx) => {
  const flag = pod.flags.get("profiling");
  if (flag !== undefined) return flag === "false" ? pass("--profiling=false") : fail(`--profiling=${flag}`);
  const configPath = pod.flags.get("config");
  if (!configPath) return fail("profiling is on: no --profiling=false and no --config (default: enabled)");
  const config = ctx.yamlOf(node, configPath);
  if (config === undefined) return undecidable(`${configPath} is not in the synthesized output`);
  const enabled = at(config, "enableProfiling");
  return enabled === false
    ? pass(`enableProfiling: false in ${configPath}`)
    : fail(
        `enableProfiling is ${enabled === undefined ? "not set (default true)" : String(enabled)} in ${configPath}`,
      );
};

function podFile(component: string, aspect: "mode" | "owner"): (ctx: AuditContext) => Verdict {
  return onPod(component, (pod) => fileVerdict(pod.file, pod.file.path, aspect));
}

function controlPlaneFile(
  paths_: readonly string[],
  aspect: "mode" | "owner",
  optional: readonly string[] = [],
) {
  return (ctx: AuditContext) =>
    acrossNodes(ctx.nodesRunning("kube-apiserver"), "no control-plane node in the output", (node) => {
      const verdicts = [
        ...paths_.map((p) => fileVerdict(node.files.get(p), p, aspect)),
        ...optional.filter((p) => node.files.has(p)).map((p) => fileVerdict(node.files.get(p), p, aspect)),
      ];
      return (
        verdicts.find((v) => v.status === "FAIL") ??
        verdicts.find((v) => v.status === "NOT_DECIDABLE") ??
        pass(verdicts.map((v) => v.reason).join("; "))
      );
    });
}

/** Secrets under a directory, with the aspect the benchmark asks about; undecidable unless recorded. */
function pkiSecrets(
  matches: (path: string) => boolean,
  aspect: "mode" | "owner",
  maxMode: number,
): (ctx: AuditContext) => Verdict {
  return (ctx) =>
    acrossNodes(ctx.nodesRunning("kube-apiserver"), "no control-plane node in the output", (node) => {
      const secrets = [...node.secrets.values()].filter((s) => matches(s.path));
      if (secrets.length === 0) return undecidable("no such files are delivered to this node");
      const unrecorded = secrets.filter((s) => (aspect === "mode" ? s.mode : s.owner) === undefined);
      if (unrecorded.length > 0) {
        return undecidable(
          `${secrets.length} files are written at apply time ('kubeforge pki generate' or the stack); the node index records no ${aspect} for them`,
        );
      }
      const bad = secrets.filter((s) =>
        aspect === "mode" ? !withinMode(s.mode ?? 0o7777, maxMode) : s.owner !== "root:root",
      );
      return bad.length === 0
        ? pass(
            `${secrets.length} files, each ${aspect === "mode" ? `${octal(maxMode)} or stricter` : "root:root"}`,
          )
        : fail(bad.map((s) => `${s.path} ${aspect === "mode" ? octal(s.mode ?? 0) : s.owner}`).join(", "));
    });
}

const PKI_PREFIX = "/etc/kubernetes/pki/";

/** Section 1: control-plane node configuration files, API server, controller manager, scheduler. */
export const CONTROL_PLANE_CHECKS: readonly CheckDefinition[] = [
  {
    id: "1.1.1",
    automated: true,
    title: "API server pod specification file permissions are 600 or more restrictive",
    evaluate: podFile("kube-apiserver", "mode"),
  },
  {
    id: "1.1.2",
    automated: true,
    title: "API server pod specification file ownership is root:root",
    evaluate: podFile("kube-apiserver", "owner"),
  },
  {
    id: "1.1.3",
    automated: true,
    title: "Controller manager pod specification file permissions are 600 or more restrictive",
    evaluate: podFile("kube-controller-manager", "mode"),
  },
  {
    id: "1.1.4",
    automated: true,
    title: "Controller manager pod specification file ownership is root:root",
    evaluate: podFile("kube-controller-manager", "owner"),
  },
  {
    id: "1.1.5",
    automated: true,
    title: "Scheduler pod specification file permissions are 600 or more restrictive",
    evaluate: podFile("kube-scheduler", "mode"),
  },
  {
    id: "1.1.6",
    automated: true,
    title: "Scheduler pod specification file ownership is root:root",
    evaluate: podFile("kube-scheduler", "owner"),
  },
  {
    id: "1.1.7",
    automated: true,
    title: "etcd pod specification file permissions are 600 or more restrictive",
    evaluate: podFile("etcd", "mode"),
  },
  {
    id: "1.1.8",
    automated: true,
    title: "etcd pod specification file ownership is root:root",
    evaluate: podFile("etcd", "owner"),
  },
  {
    id: "1.1.9",
    automated: false,
    title: "Container Network Interface file permissions are 600 or more restrictive",
    evaluate: (ctx) => cniFiles(ctx, "mode"),
  },
  {
    id: "1.1.10",
    automated: false,
    title: "Container Network Interface file ownership is root:root",
    evaluate: (ctx) => cniFiles(ctx, "owner"),
  },
  {
    id: "1.1.11",
    automated: true,
    title: "etcd data directory permissions are 700 or more restrictive",
    evaluate: () =>
      undecidable(
        "the data directory is created on the host at apply time; the synthesized output records files, not directories",
      ),
  },
  {
    id: "1.1.12",
    automated: true,
    title: "etcd data directory ownership is etcd:etcd",
    evaluate: () =>
      undecidable(
        "the data directory is created on the host at apply time; the synthesized output records files, not directories",
      ),
  },
  {
    id: "1.1.13",
    automated: true,
    title: "Default administrative credential file permissions are 600",
    evaluate: controlPlaneFile([paths.adminKubeconfig], "mode", [paths.superAdminKubeconfig]),
  },
  {
    id: "1.1.14",
    automated: true,
    title: "Default administrative credential file ownership is root:root",
    evaluate: controlPlaneFile([paths.adminKubeconfig], "owner", [paths.superAdminKubeconfig]),
  },
  {
    id: "1.1.15",
    automated: true,
    title: "scheduler.conf file permissions are 600 or more restrictive",
    evaluate: controlPlaneFile([paths.schedulerKubeconfig], "mode"),
  },
  {
    id: "1.1.16",
    automated: true,
    title: "scheduler.conf file ownership is root:root",
    evaluate: controlPlaneFile([paths.schedulerKubeconfig], "owner"),
  },
  {
    id: "1.1.17",
    automated: true,
    title: "controller-manager.conf file permissions are 600 or more restrictive",
    evaluate: controlPlaneFile([paths.controllerManagerKubeconfig], "mode"),
  },
  {
    id: "1.1.18",
    automated: true,
    title: "controller-manager.conf file ownership is root:root",
    evaluate: controlPlaneFile([paths.controllerManagerKubeconfig], "owner"),
  },
  {
    id: "1.1.19",
    automated: true,
    title: "Kubernetes PKI directory and file ownership is root:root",
    evaluate: pkiSecrets((p) => p.startsWith(PKI_PREFIX), "owner", 0),
  },
  {
    id: "1.1.20",
    automated: false,
    title: "Kubernetes PKI certificate file permissions are 644 or more restrictive",
    evaluate: pkiSecrets((p) => p.startsWith(PKI_PREFIX) && p.endsWith(".crt"), "mode", 0o644),
  },
  {
    id: "1.1.21",
    automated: false,
    title: "Kubernetes PKI key file permissions are 600",
    evaluate: pkiSecrets((p) => p.startsWith(PKI_PREFIX) && p.endsWith(".key"), "mode", 0o600),
  },

  {
    id: "1.2.1",
    automated: false,
    title: "Anonymous requests are not authenticated (--anonymous-auth=false)",
    evaluate: onPod("kube-apiserver", anonymousAuth),
  },
  {
    id: "1.2.2",
    automated: true,
    title: "--token-auth-file is not set",
    evaluate: onPod("kube-apiserver", (pod) =>
      pod.flags.has("token-auth-file")
        ? fail(shown("token-auth-file", pod))
        : pass("--token-auth-file is not set"),
    ),
  },
  {
    id: "1.2.3",
    automated: false,
    title: "DenyServiceExternalIPs admission plugin is set",
    evaluate: onPod("kube-apiserver", pluginEnabled("DenyServiceExternalIPs")),
  },
  {
    id: "1.2.4",
    automated: true,
    title: "--kubelet-client-certificate and --kubelet-client-key are set",
    evaluate: onPod("kube-apiserver", flagsSet("kubelet-client-certificate", "kubelet-client-key")),
  },
  {
    id: "1.2.5",
    automated: true,
    title: "--kubelet-certificate-authority is set",
    evaluate: onPod("kube-apiserver", flagsSet("kubelet-certificate-authority")),
  },
  {
    id: "1.2.6",
    automated: true,
    title: "--authorization-mode is not AlwaysAllow",
    evaluate: onPod(
      "kube-apiserver",
      authorizationMode((m) => (m.includes("AlwaysAllow") ? "AlwaysAllow is enabled" : undefined)),
    ),
  },
  {
    id: "1.2.7",
    automated: true,
    title: "--authorization-mode includes Node",
    evaluate: onPod(
      "kube-apiserver",
      authorizationMode((m) => (m.includes("Node") ? undefined : "Node is missing")),
    ),
  },
  {
    id: "1.2.8",
    automated: true,
    title: "--authorization-mode includes RBAC",
    evaluate: onPod(
      "kube-apiserver",
      authorizationMode((m) => (m.includes("RBAC") ? undefined : "RBAC is missing")),
    ),
  },
  {
    id: "1.2.9",
    automated: false,
    title: "EventRateLimit admission plugin is set",
    evaluate: onPod("kube-apiserver", pluginEnabled("EventRateLimit")),
  },
  {
    id: "1.2.10",
    automated: true,
    title: "AlwaysAdmit admission plugin is not set",
    evaluate: onPod("kube-apiserver", (pod) =>
      list(pod.flags.get("enable-admission-plugins")).includes("AlwaysAdmit")
        ? fail(`AlwaysAdmit is enabled (${shown("enable-admission-plugins", pod)})`)
        : pass("AlwaysAdmit is not enabled"),
    ),
  },
  {
    id: "1.2.11",
    automated: false,
    title: "AlwaysPullImages admission plugin is set",
    evaluate: onPod("kube-apiserver", pluginEnabled("AlwaysPullImages")),
  },
  {
    id: "1.2.12",
    automated: true,
    title: "ServiceAccount admission plugin is set",
    evaluate: onPod("kube-apiserver", pluginNotDisabled("ServiceAccount")),
  },
  {
    id: "1.2.13",
    automated: true,
    title: "NamespaceLifecycle admission plugin is set",
    evaluate: onPod("kube-apiserver", pluginNotDisabled("NamespaceLifecycle")),
  },
  {
    id: "1.2.14",
    automated: true,
    title: "NodeRestriction admission plugin is set",
    evaluate: onPod("kube-apiserver", pluginEnabled("NodeRestriction")),
  },
  {
    id: "1.2.15",
    automated: true,
    title: "API server --profiling is false",
    evaluate: onPod("kube-apiserver", flagEquals("profiling", "false")),
  },
  {
    id: "1.2.16",
    automated: true,
    title: "--audit-log-path is set",
    evaluate: onPod("kube-apiserver", flagsSet("audit-log-path")),
  },
  {
    id: "1.2.17",
    automated: true,
    title: "--audit-log-maxage is 30 or as appropriate",
    evaluate: onPod("kube-apiserver", flagAtLeast("audit-log-maxage", AUDIT_LOG_MINIMUMS.maxAge)),
  },
  {
    id: "1.2.18",
    automated: true,
    title: "--audit-log-maxbackup is 10 or as appropriate",
    evaluate: onPod("kube-apiserver", flagAtLeast("audit-log-maxbackup", AUDIT_LOG_MINIMUMS.maxBackup)),
  },
  {
    id: "1.2.19",
    automated: true,
    title: "--audit-log-maxsize is 100 or as appropriate",
    evaluate: onPod("kube-apiserver", flagAtLeast("audit-log-maxsize", AUDIT_LOG_MINIMUMS.maxSize)),
  },
  {
    id: "1.2.20",
    automated: false,
    title: "--request-timeout is set as appropriate",
    evaluate: onPod("kube-apiserver", (pod) =>
      undecidable(
        `what is appropriate is the operator's judgement (${pod.flags.has("request-timeout") ? shown("request-timeout", pod) : "default 60s"})`,
      ),
    ),
  },
  {
    id: "1.2.21",
    automated: true,
    title: "--service-account-lookup is true",
    evaluate: onPod("kube-apiserver", flagEquals("service-account-lookup", "true", true)),
  },
  {
    id: "1.2.22",
    automated: true,
    title: "--service-account-key-file is set",
    evaluate: onPod("kube-apiserver", flagsSet("service-account-key-file")),
  },
  {
    id: "1.2.23",
    automated: true,
    title: "--etcd-certfile and --etcd-keyfile are set",
    evaluate: onPod("kube-apiserver", flagsSet("etcd-certfile", "etcd-keyfile")),
  },
  {
    id: "1.2.24",
    automated: true,
    title: "--tls-cert-file and --tls-private-key-file are set",
    evaluate: onPod("kube-apiserver", flagsSet("tls-cert-file", "tls-private-key-file")),
  },
  {
    id: "1.2.25",
    automated: true,
    title: "--client-ca-file is set",
    evaluate: onPod("kube-apiserver", flagsSet("client-ca-file")),
  },
  {
    id: "1.2.26",
    automated: true,
    title: "--etcd-cafile is set",
    evaluate: onPod("kube-apiserver", flagsSet("etcd-cafile")),
  },
  {
    id: "1.2.27",
    automated: false,
    title: "--encryption-provider-config is set as appropriate",
    evaluate: onPod("kube-apiserver", encryptionConfig),
  },
  {
    id: "1.2.28",
    automated: false,
    title: "Encryption providers are appropriately configured",
    evaluate: onPod("kube-apiserver", encryptionProvider),
  },
  {
    id: "1.2.29",
    automated: false,
    title: "API server uses only strong cryptographic ciphers",
    evaluate: onPod("kube-apiserver", strongCiphers),
  },
  {
    id: "1.2.30",
    automated: true,
    title: "--service-account-extend-token-expiration is false",
    evaluate: onPod("kube-apiserver", flagEquals("service-account-extend-token-expiration", "false")),
  },

  {
    id: "1.3.1",
    automated: false,
    title: "--terminated-pod-gc-threshold is set as appropriate",
    evaluate: onPod("kube-controller-manager", flagsSet("terminated-pod-gc-threshold")),
  },
  {
    id: "1.3.2",
    automated: true,
    title: "Controller manager --profiling is false",
    evaluate: onPod("kube-controller-manager", flagEquals("profiling", "false")),
  },
  {
    id: "1.3.3",
    automated: true,
    title: "--use-service-account-credentials is true",
    evaluate: onPod("kube-controller-manager", flagEquals("use-service-account-credentials", "true")),
  },
  {
    id: "1.3.4",
    automated: true,
    title: "--service-account-private-key-file is set",
    evaluate: onPod("kube-controller-manager", flagsSet("service-account-private-key-file")),
  },
  {
    id: "1.3.5",
    automated: true,
    title: "--root-ca-file is set",
    evaluate: onPod("kube-controller-manager", flagsSet("root-ca-file")),
  },
  {
    id: "1.3.6",
    automated: true,
    title: "RotateKubeletServerCertificate is not disabled",
    evaluate: onPod("kube-controller-manager", (pod) =>
      list(pod.flags.get("feature-gates")).includes("RotateKubeletServerCertificate=false")
        ? fail(shown("feature-gates", pod))
        : pass("RotateKubeletServerCertificate is not disabled"),
    ),
  },
  {
    id: "1.3.7",
    automated: true,
    title: "Controller manager --bind-address is 127.0.0.1",
    evaluate: onPod("kube-controller-manager", flagEquals("bind-address", "127.0.0.1", true)),
  },

  {
    id: "1.4.1",
    automated: true,
    title: "Scheduler profiling is off",
    evaluate: onPod("kube-scheduler", schedulerProfiling),
  },
  {
    id: "1.4.2",
    automated: true,
    title: "Scheduler --bind-address is 127.0.0.1",
    evaluate: onPod("kube-scheduler", flagEquals("bind-address", "127.0.0.1", true)),
  },
];

const CNI_DIR = "/etc/cni/net.d/";

function cniFiles(ctx: AuditContext, aspect: "mode" | "owner"): Verdict {
  const nodes = ctx.tree.nodes.filter((n) => [...n.files.keys()].some((p) => p.startsWith(CNI_DIR)));
  if (nodes.length === 0) {
    return undecidable(
      `no ${CNI_DIR} file is synthesized: the CNI writes its configuration on the node at run time`,
    );
  }
  return acrossNodes(nodes, "", (node) => {
    const verdicts = [...node.files.values()]
      .filter((f) => f.path.startsWith(CNI_DIR))
      .map((f) => fileVerdict(f, f.path, aspect));
    return verdicts.find((v) => v.status === "FAIL") ?? pass(verdicts.map((v) => v.reason).join("; "));
  });
}
