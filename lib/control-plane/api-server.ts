import type { Construct } from "constructs";
import { AUDIT_LOG_DIR, KUBEFORGE_CONFIG_DIR, PKI_DIR, paths } from "../paths";
import { type ComponentProps, StaticPodComponent } from "../private/component";
import { CA_BUNDLE_MOUNTS, type HostMount } from "../private/static-pod";
import { ADMISSION_CONFIG_PATH } from "../security/pod-security";
import { kubernetesTlsFlags } from "../security/tls";
import { API_SERVER_PORT, type ClusterModel } from "../spec/model";
import type { NodeSpec } from "../spec/schema";

/**
 * kube-apiserver flags: kubeadm's baseline, then hardened. Deviations from kubeadm, on purpose:
 * anonymous access limited to health endpoints (AuthenticationConfiguration), profiling off,
 * audit log, encryption at rest, kubelet serving certificates verified, strong TLS only, and no
 * bootstrap-token authentication (kubeforge delivers every node credential itself).
 * @see https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/
 */
export function apiServerFlags(model: ClusterModel, node: NodeSpec): Record<string, string> {
  const { spec } = model;
  const sec = spec.security;
  const flags: Record<string, string> = {
    "admission-control-config-file": ADMISSION_CONFIG_PATH,
    "advertise-address": node.address,
    "allow-privileged": "true",
    "authorization-mode": "Node,RBAC",
    "client-ca-file": paths.caCert,
    "enable-admission-plugins": "NodeRestriction",
    "etcd-cafile": paths.etcdCaCert,
    "etcd-certfile": paths.apiServerEtcdClientCert,
    "etcd-keyfile": paths.apiServerEtcdClientKey,
    "etcd-servers": model.etcdServersFor(node).join(","),
    "kubelet-certificate-authority": paths.caCert,
    "kubelet-client-certificate": paths.apiServerKubeletClientCert,
    "kubelet-client-key": paths.apiServerKubeletClientKey,
    "kubelet-preferred-address-types": "InternalIP,ExternalIP,Hostname",
    profiling: String(sec.profiling),
    "proxy-client-cert-file": paths.frontProxyClientCert,
    "proxy-client-key-file": paths.frontProxyClientKey,
    "requestheader-allowed-names": "front-proxy-client",
    "requestheader-client-ca-file": paths.frontProxyCaCert,
    "requestheader-extra-headers-prefix": "X-Remote-Extra-",
    "requestheader-group-headers": "X-Remote-Group",
    "requestheader-username-headers": "X-Remote-User",
    "secure-port": String(API_SERVER_PORT),
    // Projected tokens expire when they say they do (CIS 1.2.30); kubelets refresh them in time.
    "service-account-extend-token-expiration": "false",
    "service-account-issuer": model.serviceAccountIssuer,
    "service-account-key-file": paths.serviceAccountPub,
    "service-account-lookup": "true",
    "service-account-signing-key-file": paths.serviceAccountKey,
    "service-cluster-ip-range": spec.networking.serviceCIDR,
    "tls-cert-file": paths.apiServerCert,
    "tls-private-key-file": paths.apiServerKey,
    ...kubernetesTlsFlags(),
  };
  if (sec.anonymousAuth) flags["anonymous-auth"] = "true";
  else flags["authentication-config"] = paths.authenticationConfig;
  if (sec.auditLog.enabled) {
    flags["audit-log-path"] = sec.auditLog.path;
    flags["audit-log-maxage"] = String(sec.auditLog.maxAge);
    flags["audit-log-maxbackup"] = String(sec.auditLog.maxBackup);
    flags["audit-log-maxsize"] = String(sec.auditLog.maxSize);
    flags["audit-policy-file"] = paths.auditPolicy;
  }
  if (sec.encryptionAtRest.enabled) flags["encryption-provider-config"] = paths.encryptionConfig;
  return flags;
}

/**
 * The encryption provider, recorded on the API server pod: the EncryptionConfiguration itself holds the
 * key and is never synthesized, so this is how a static audit (CIS 1.2.28) sees the provider, and a
 * provider change rolls the API server, which reads that file only at start.
 */
export const ENCRYPTION_PROVIDER_ANNOTATION = "kubeforge.io/encryption-provider";

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/** kube-apiserver as a static pod on one control-plane node. */
export class ApiServer extends StaticPodComponent {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    const { model, node } = props;
    const audit = model.spec.security.auditLog;
    const mounts: HostMount[] = [
      { name: "k8s-certs", hostPath: PKI_DIR, readOnly: true, type: "Directory" },
      { name: "kubeforge-config", hostPath: KUBEFORGE_CONFIG_DIR, readOnly: true, type: "Directory" },
      ...CA_BUNDLE_MOUNTS,
    ];
    if (audit.enabled) {
      mounts.push({
        name: "audit-log",
        hostPath: audit.path === `${AUDIT_LOG_DIR}/audit.log` ? AUDIT_LOG_DIR : dirname(audit.path),
        readOnly: false,
        type: "DirectoryOrCreate",
      });
    }
    super(scope, id, {
      name: "kube-apiserver",
      image: model.images.apiServer,
      command: "kube-apiserver",
      flags: apiServerFlags(model, node),
      mounts,
      probes: {
        host: node.address,
        port: API_SERVER_PORT,
        scheme: "HTTPS",
        liveness: "/livez",
        readiness: "/readyz",
        startup: "/livez",
      },
      cpuRequest: "250m",
      annotations: {
        "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": `${node.address}:${API_SERVER_PORT}`,
        ...(model.spec.security.encryptionAtRest.enabled
          ? { [ENCRYPTION_PROVIDER_ANNOTATION]: model.spec.security.encryptionAtRest.provider }
          : {}),
      },
    });
  }
}
