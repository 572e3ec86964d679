import { parse } from "yaml";
import { paths } from "../../paths";
import {
  type AuditContext,
  acrossNodes,
  at,
  type CheckDefinition,
  fail,
  fileVerdict,
  KUBELET_CONFIG_PATH,
  type Kubelet,
  octal,
  parseFlags,
  pass,
  undecidable,
  type Verdict,
  withinMode,
} from "../check";
import type { AuditNode } from "../tree";
import { CIS_STRONG_CIPHERS } from "./control-plane";

type KubeletCheck = (k: Kubelet, node: AuditNode) => Verdict;

/** Evaluates on every node that has a kubelet configuration or unit in the output. */
function onKubelet(check: KubeletCheck): (ctx: AuditContext) => Verdict {
  return (ctx) =>
    acrossNodes(ctx.tree.nodes, "the output has no nodes", (node) => {
      const k = ctx.kubelet(node);
      if (!k.config && k.unitFiles.length === 0) {
        return undecidable(
          `no kubelet configuration (${KUBELET_CONFIG_PATH}) or unit is synthesized for this node`,
        );
      }
      return check(k, node);
    });
}

/** A kubelet setting: the flag wins over the file, as in the kubelet. */
function setting(k: Kubelet, flag: string, field: string): { value: unknown; where: string } | undefined {
  if (k.flags.has(flag)) return { value: k.flags.get(flag), where: `--${flag}` };
  const value = at(k.config, field);
  return value === undefined ? undefined : { value, where: field };
}

function needsConfig(k: Kubelet, field: string): Verdict | undefined {
  return k.config
    ? undefined
    : undecidable(`${field} lives in ${KUBELET_CONFIG_PATH}, which is not synthesized`);
}

/** Compares a setting, with the KubeletConfiguration v1beta1 default when neither flag nor field is set. */
function kubeletValue(
  flag: string,
  field: string,
  ok: (value: string) => boolean,
  unset: { readonly passes: boolean; readonly note: string },
): (ctx: AuditContext) => Verdict {
  return onKubelet((k) => {
    const s = setting(k, flag, field);
    if (!s) return needsConfig(k, field) ?? (unset.passes ? pass(unset.note) : fail(unset.note));
    const value = Array.isArray(s.value) ? s.value.join(",") : String(s.value);
    return ok(value) ? pass(`${s.where}: ${value}`) : fail(`${s.where}: ${value}`);
  });
}

function kubeletFile(aspect: "mode" | "owner", which: "config" | "kubeconfig" | "unit") {
  return onKubelet((k, node) => {
    if (which === "config") return fileVerdict(k.configFile, KUBELET_CONFIG_PATH, aspect);
    if (which === "kubeconfig") {
      const p = k.flags.get("kubeconfig") ?? paths.kubeletKubeconfig;
      return fileVerdict(node.files.get(p), p, aspect);
    }
    if (k.unitFiles.length === 0) return undecidable("no kubelet unit file is synthesized for this node");
    const verdicts = k.unitFiles.map((f) => fileVerdict(f, f.path, aspect));
    return verdicts.find((v) => v.status === "FAIL") ?? pass(verdicts.map((v) => v.reason).join("; "));
  });
}

/** The CA file the kubelet trusts for clients: delivered at apply time, so only a recorded mode decides. */
function clientCaFile(aspect: "mode" | "owner") {
  return onKubelet((k, node) => {
    const s = setting(k, "client-ca-file", "authentication.x509.clientCAFile");
    if (!s)
      return needsConfig(k, "authentication.x509.clientCAFile") ?? fail("no client CA file is configured");
    const file = String(s.value);
    const secret = node.secrets.get(file);
    const recorded =
      node.files.get(file) ??
      (secret?.mode !== undefined ? { ...secret, mode: secret.mode, owner: secret.owner ?? "" } : undefined);
    if (!recorded) {
      return undecidable(`${file} is written at apply time; the node index records no ${aspect} for it`);
    }
    if (aspect === "mode") {
      return withinMode(recorded.mode, 0o644)
        ? pass(`${file} is ${octal(recorded.mode)}`)
        : fail(`${file} is ${octal(recorded.mode)}`);
    }
    return recorded.owner === "root:root"
      ? pass(`${file} is root:root`)
      : fail(`${file} is owned by ${recorded.owner || "(unrecorded)"}`);
  });
}

/** The KubeProxyConfiguration documents and kube-proxy containers among the cluster objects. */
function kubeProxy(ctx: AuditContext): { configs: Record<string, unknown>[]; flags: Map<string, string>[] } {
  const configs: Record<string, unknown>[] = [];
  for (const cm of ctx.objectsOfKind("ConfigMap")) {
    for (const value of Object.values((cm.data ?? {}) as Record<string, unknown>)) {
      if (typeof value !== "string" || !value.includes("KubeProxyConfiguration")) continue;
      try {
        const doc = parse(value) as Record<string, unknown>;
        if (doc?.kind === "KubeProxyConfiguration") configs.push(doc);
      } catch {
        // Not YAML: not a configuration this audit can read.
      }
    }
  }
  const flags = ctx
    .objectsOfKind("DaemonSet")
    .flatMap((ds) => (at(ds, "spec.template.spec.containers") ?? []) as Record<string, unknown>[])
    .filter((c) => String(c.image ?? "").includes("kube-proxy") || c.name === "kube-proxy")
    .map((c) => parseFlags([...((c.command as string[]) ?? []), ...((c.args as string[]) ?? [])]));
  return { configs, flags };
}

const proxyMetrics = (ctx: AuditContext): Verdict => {
  const { configs, flags } = kubeProxy(ctx);
  if (configs.length === 0 && flags.length === 0)
    return undecidable("no kube-proxy DaemonSet or KubeProxyConfiguration in the cluster objects");
  const addresses = [
    ...flags.map((f) => f.get("metrics-bind-address")).filter((a): a is string => a !== undefined),
    ...configs
      .map((c) => c.metricsBindAddress)
      .filter((a) => a !== undefined)
      .map(String),
  ];
  const exposed = addresses.filter((a) => !a.startsWith("127.0.0.1"));
  if (exposed.length > 0) return fail(`metrics bound to ${exposed.join(", ")}`);
  return pass(
    addresses.length > 0
      ? `metrics bound to ${addresses.join(", ")}`
      : "metricsBindAddress not set (default 127.0.0.1:10249)",
  );
};

function proxyKubeconfig(aspect: "mode" | "owner") {
  return (ctx: AuditContext): Verdict => {
    const hostFiles = ctx.tree.nodes.flatMap((n) =>
      [...n.files.values()].filter((f) => /kube-proxy.*kubeconfig|kubeconfig.*kube-proxy/.test(f.path)),
    );
    if (hostFiles.length > 0) {
      const verdicts = hostFiles.map((f) => fileVerdict(f, f.path, aspect));
      return verdicts.find((v) => v.status === "FAIL") ?? pass(verdicts.map((v) => v.reason).join("; "));
    }
    const { configs, flags } = kubeProxy(ctx);
    if (configs.length === 0 && flags.length === 0) return undecidable("no kube-proxy in the output");
    return pass(
      "no kube-proxy kubeconfig on any host: kube-proxy reads it from a ConfigMap volume with its service-account token",
    );
  };
}

const isFalse = (v: string) => v === "false";
const notAlwaysAllow = (v: string) => !v.split(",").includes("AlwaysAllow");

/** Section 4: worker node configuration files, kubelet and kube-proxy. */
export const WORKER_CHECKS: readonly CheckDefinition[] = [
  {
    id: "4.1.1",
    automated: true,
    title: "kubelet service file permissions are 600 or more restrictive",
    evaluate: kubeletFile("mode", "unit"),
  },
  {
    id: "4.1.2",
    automated: true,
    title: "kubelet service file ownership is root:root",
    evaluate: kubeletFile("owner", "unit"),
  },
  {
    id: "4.1.3",
    automated: false,
    title: "If a proxy kubeconfig file exists, its permissions are 600 or more restrictive",
    evaluate: proxyKubeconfig("mode"),
  },
  {
    id: "4.1.4",
    automated: false,
    title: "If a proxy kubeconfig file exists, its ownership is root:root",
    evaluate: proxyKubeconfig("owner"),
  },
  {
    id: "4.1.5",
    automated: true,
    title: "kubelet.conf permissions are 600 or more restrictive",
    evaluate: kubeletFile("mode", "kubeconfig"),
  },
  {
    id: "4.1.6",
    automated: true,
    title: "kubelet.conf ownership is root:root",
    evaluate: kubeletFile("owner", "kubeconfig"),
  },
  {
    id: "4.1.7",
    automated: false,
    title: "Certificate authorities file permissions are 644 or more restrictive",
    evaluate: clientCaFile("mode"),
  },
  {
    id: "4.1.8",
    automated: false,
    title: "Client certificate authorities file ownership is root:root",
    evaluate: clientCaFile("owner"),
  },
  {
    id: "4.1.9",
    automated: true,
    title: "kubelet config.yaml permissions are 600 or more restrictive",
    evaluate: kubeletFile("mode", "config"),
  },
  {
    id: "4.1.10",
    automated: true,
    title: "kubelet config.yaml ownership is root:root",
    evaluate: kubeletFile("owner", "config"),
  },

  {
    id: "4.2.1",
    automated: true,
    title: "kubelet anonymous authentication is off",
    evaluate: kubeletValue("anonymous-auth", "authentication.anonymous.enabled", isFalse, {
      passes: true,
      note: "not set: off by the v1beta1 default",
    }),
  },
  {
    id: "4.2.2",
    automated: true,
    title: "kubelet authorization mode is not AlwaysAllow",
    evaluate: kubeletValue("authorization-mode", "authorization.mode", notAlwaysAllow, {
      passes: true,
      note: "not set: Webhook by the v1beta1 default",
    }),
  },
  {
    id: "4.2.3",
    automated: true,
    title: "kubelet client CA file is set",
    evaluate: kubeletValue("client-ca-file", "authentication.x509.clientCAFile", (v) => v.length > 0, {
      passes: false,
      note: "no client CA file: client certificates are not verified",
    }),
  },
  {
    id: "4.2.4",
    automated: false,
    title: "kubelet read-only port is 0 if defined",
    evaluate: kubeletValue("read-only-port", "readOnlyPort", (v) => v === "0", {
      passes: true,
      note: "not set: 0 by the v1beta1 default",
    }),
  },
  {
    id: "4.2.5",
    automated: false,
    title: "kubelet streaming connection idle timeout is not 0",
    evaluate: kubeletValue(
      "streaming-connection-idle-timeout",
      "streamingConnectionIdleTimeout",
      (v) => !/^0[a-z]*$/.test(v),
      { passes: true, note: "not set: 4h default (the setting has no effect from 1.34)" },
    ),
  },
  {
    id: "4.2.6",
    automated: true,
    title: "kubelet makes iptables utility chains",
    evaluate: kubeletValue("make-iptables-util-chains", "makeIPTablesUtilChains", (v) => v === "true", {
      passes: true,
      note: "not set: true by default",
    }),
  },
  {
    id: "4.2.7",
    automated: false,
    title: "kubelet --hostname-override is not set",
    evaluate: onKubelet((k) =>
      k.flags.has("hostname-override")
        ? fail(
            `--hostname-override=${k.flags.get("hostname-override")} (kubeforge sets it so the Node name matches the kubelet's certificate)`,
          )
        : pass("--hostname-override is not set"),
    ),
  },
  {
    id: "4.2.8",
    automated: false,
    title: "kubelet eventRecordQPS ensures appropriate event capture",
    evaluate: kubeletValue("event-qps", "eventRecordQPS", (v) => Number(v) >= 0, {
      passes: true,
      note: "not set: 50 by default",
    }),
  },
  {
    id: "4.2.9",
    automated: false,
    title: "kubelet serving certificate and key are set",
    evaluate: onKubelet((k) => {
      const cert = setting(k, "tls-cert-file", "tlsCertFile");
      const key = setting(k, "tls-private-key-file", "tlsPrivateKeyFile");
      if (cert && key)
        return pass(`${cert.where}: ${String(cert.value)}, ${key.where}: ${String(key.value)}`);
      if (at(k.config, "serverTLSBootstrap") === true)
        return pass("serverTLSBootstrap: the serving certificate is issued through a CSR");
      return (
        needsConfig(k, "tlsCertFile") ?? fail("no serving certificate: the kubelet serves a self-signed one")
      );
    }),
  },
  {
    id: "4.2.10",
    automated: true,
    title: "kubelet certificate rotation is not disabled",
    evaluate: kubeletValue("rotate-certificates", "rotateCertificates", (v) => v === "true", {
      passes: true,
      note: "not set",
    }),
  },
  {
    id: "4.2.11",
    automated: false,
    title: "RotateKubeletServerCertificate is not disabled",
    evaluate: onKubelet((k) =>
      (k.flags.get("feature-gates") ?? "").includes("RotateKubeletServerCertificate=false") ||
      at(k.config, "featureGates.RotateKubeletServerCertificate") === false
        ? fail("RotateKubeletServerCertificate=false")
        : pass("RotateKubeletServerCertificate is not disabled"),
    ),
  },
  {
    id: "4.2.12",
    automated: false,
    title: "kubelet uses only strong cryptographic ciphers",
    evaluate: kubeletValue(
      "tls-cipher-suites",
      "tlsCipherSuites",
      (v) => v.split(",").every((s) => CIS_STRONG_CIPHERS.includes(s)),
      { passes: false, note: "not set: Go's defaults include weak suites" },
    ),
  },
  {
    id: "4.2.13",
    automated: false,
    title: "A limit is set on pod PIDs",
    evaluate: kubeletValue("pod-max-pids", "podPidsLimit", (v) => Number(v) > 0, {
      passes: false,
      note: "podPidsLimit is not set: a pod can exhaust the node's PIDs",
    }),
  },
  {
    id: "4.2.14",
    automated: false,
    title: "kubelet seccomp default is on",
    evaluate: kubeletValue("seccomp-default", "seccompDefault", (v) => v === "true", {
      passes: false,
      note: "seccompDefault is not set: containers run Unconfined unless they ask",
    }),
  },
  {
    id: "4.3.1",
    automated: true,
    title: "kube-proxy metrics service is bound to localhost",
    evaluate: proxyMetrics,
  },
];
