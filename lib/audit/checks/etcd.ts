import {
  type AuditContext,
  acrossNodes,
  type CheckDefinition,
  fail,
  pass,
  type StaticPod,
  undecidable,
  type Verdict,
} from "../check";

function onEtcd(check: (pod: StaticPod, ctx: AuditContext) => Verdict): (ctx: AuditContext) => Verdict {
  return (ctx) =>
    acrossNodes(
      ctx.nodesRunning("etcd"),
      "no node runs etcd as a static pod (external etcd is outside the output)",
      (node) => {
        const pod = ctx.staticPod(node, "etcd");
        return pod ? check(pod, ctx) : undecidable("the etcd manifest is missing or unreadable");
      },
    );
}

function both(a: string, b: string) {
  return onEtcd((pod) => {
    const missing = [a, b].filter((f) => !pod.flags.get(f));
    return missing.length === 0
      ? pass(`--${a}=${pod.flags.get(a)} --${b}=${pod.flags.get(b)}`)
      : fail(`${missing.map((f) => `--${f}`).join(" and ")} not set`);
  });
}

function isTrue(flag: string) {
  return onEtcd((pod) =>
    pod.flags.get(flag) === "true"
      ? pass(`--${flag}=true`)
      : fail(`--${flag} is ${pod.flags.get(flag) ?? "not set (default false)"}`),
  );
}

function notTrue(flag: string) {
  return onEtcd((pod) =>
    pod.flags.get(flag) === "true"
      ? fail(`--${flag}=true`)
      : pass(`--${flag} is ${pod.flags.get(flag) ?? "not set"}`),
  );
}

/** etcd's CA must differ from the one the API server trusts for clients, or any client cert reaches etcd. */
const uniqueCa = onEtcd((pod, ctx) => {
  const etcdCa = pod.flags.get("trusted-ca-file");
  if (!etcdCa) return fail("--trusted-ca-file is not set");
  const apiCas = new Set(
    ctx
      .nodesRunning("kube-apiserver")
      .map((n) => ctx.staticPod(n, "kube-apiserver")?.flags.get("client-ca-file"))
      .filter((p): p is string => p !== undefined),
  );
  if (apiCas.size === 0) return undecidable(`--trusted-ca-file=${etcdCa}; no API server to compare with`);
  return apiCas.has(etcdCa)
    ? fail(`--trusted-ca-file=${etcdCa} is also the API server's --client-ca-file`)
    : pass(`--trusted-ca-file=${etcdCa}, separate from the Kubernetes CA (${[...apiCas].join(", ")})`);
});

/** Section 2: etcd. */
export const ETCD_CHECKS: readonly CheckDefinition[] = [
  {
    id: "2.1",
    automated: true,
    title: "etcd --cert-file and --key-file are set",
    evaluate: both("cert-file", "key-file"),
  },
  {
    id: "2.2",
    automated: true,
    title: "etcd --client-cert-auth is true",
    evaluate: isTrue("client-cert-auth"),
  },
  { id: "2.3", automated: true, title: "etcd --auto-tls is not true", evaluate: notTrue("auto-tls") },
  {
    id: "2.4",
    automated: true,
    title: "etcd --peer-cert-file and --peer-key-file are set",
    evaluate: both("peer-cert-file", "peer-key-file"),
  },
  {
    id: "2.5",
    automated: true,
    title: "etcd --peer-client-cert-auth is true",
    evaluate: isTrue("peer-client-cert-auth"),
  },
  {
    id: "2.6",
    automated: true,
    title: "etcd --peer-auto-tls is not true",
    evaluate: notTrue("peer-auto-tls"),
  },
  {
    id: "2.7",
    automated: false,
    title: "A unique certificate authority is used for etcd",
    evaluate: uniqueCa,
  },
];
