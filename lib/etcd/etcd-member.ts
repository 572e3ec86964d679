import type { Construct } from "constructs";
import { ETCD_PKI_DIR, paths } from "../paths";
import { type ComponentProps, StaticPodComponent } from "../private/component";
import { STRONG_CIPHER_SUITES } from "../security/tls";
import {
  type ClusterModel,
  ETCD_LOCAL_CLIENT_URL,
  ETCD_LOCAL_METRICS_URL,
  ETCD_METRICS_PORT,
} from "../spec/model";
import type { NodeSpec } from "../spec/schema";
import type { EtcdMinor } from "../spec/versions";

/**
 * The flags of one etcd member, in the dialect of the selected etcd minor: 3.4 and 3.5 take
 * `--experimental-*` flags, 3.6 replaced them with feature gates and renamed flags (and deprecated
 * `--snapshot-count`, whose default became kubeadm's 10000).
 * @see https://etcd.io/docs/v3.6/op-guide/configuration/
 */
export function etcdFlags(
  model: ClusterModel,
  node: NodeSpec,
  minor: EtcdMinor = model.spec.etcdMinor,
): Record<string, string> {
  const member = model.etcdMemberOf(node.name);
  if (!member) throw new Error(`internal: ${node.name} is not an etcd member`);
  const { etcd } = model.spec;
  const flags: Record<string, string> = {
    name: member.name,
    "data-dir": etcd.dataDir,
    "listen-client-urls": `${ETCD_LOCAL_CLIENT_URL},${member.clientUrl}`,
    "advertise-client-urls": member.clientUrl,
    "listen-peer-urls": member.peerUrl,
    "initial-advertise-peer-urls": member.peerUrl,
    "initial-cluster": model.etcdInitialCluster,
    "initial-cluster-state": "new",
    "initial-cluster-token": `${model.spec.name}-etcd`,
    "listen-metrics-urls": ETCD_LOCAL_METRICS_URL,
    "cert-file": paths.etcdServerCert,
    "key-file": paths.etcdServerKey,
    "trusted-ca-file": paths.etcdCaCert,
    "client-cert-auth": "true",
    "peer-cert-file": paths.etcdPeerCert,
    "peer-key-file": paths.etcdPeerKey,
    "peer-trusted-ca-file": paths.etcdCaCert,
    "peer-client-cert-auth": "true",
    "auto-tls": "false",
    "peer-auto-tls": "false",
    "cipher-suites": STRONG_CIPHER_SUITES.join(","),
    "quota-backend-bytes": String(etcd.quotaBackendBytes),
    logger: "zap",
  };
  if (minor === "3.6") {
    flags["feature-gates"] = "InitialCorruptCheck=true";
    flags["watch-progress-notify-interval"] = "5s";
    if (etcd.snapshotCount !== 10000) flags["snapshot-count"] = String(etcd.snapshotCount);
  } else {
    flags["experimental-initial-corrupt-check"] = "true";
    flags["experimental-watch-progress-notify-interval"] = "5s";
    flags["snapshot-count"] = String(etcd.snapshotCount);
  }
  return flags;
}

/**
 * An etcd member as a static pod: TLS with client-certificate auth on client and peer URLs,
 * metrics on loopback only, flags following the etcd minor.
 */
export class EtcdMember extends StaticPodComponent {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    const { model, node } = props;
    const flags = etcdFlags(model, node);
    const modern = model.spec.etcdMinor !== "3.4";
    super(scope, id, {
      name: "etcd",
      image: model.images.etcd,
      command: "etcd",
      flags,
      mounts: [
        { name: "etcd-data", hostPath: model.spec.etcd.dataDir, readOnly: false, type: "DirectoryOrCreate" },
        { name: "etcd-certs", hostPath: ETCD_PKI_DIR, readOnly: true, type: "Directory" },
      ],
      probes: {
        host: "127.0.0.1",
        port: ETCD_METRICS_PORT,
        scheme: "HTTP",
        liveness: modern ? "/livez" : "/health?exclude=NOSPACE&serializable=true",
        readiness: modern ? "/readyz" : undefined,
        startup: modern ? "/readyz" : "/health?serializable=false",
      },
      cpuRequest: "100m",
      memoryRequest: "100Mi",
      annotations: {
        "kubeadm.kubernetes.io/etcd.advertise-client-urls": model.etcdMemberOf(node.name)?.clientUrl ?? "",
      },
    });
  }
}
