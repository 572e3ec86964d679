import { paths } from "../paths";
import { isIpv4 } from "../private/cidr";
import type { ClusterModel } from "../spec/model";
import type { NodeSpec } from "../spec/schema";

/**
 * The certificate plan: every CA, certificate and key each node needs, with subject, SANs, usages and
 * validity. It holds no key material: `kubeforge pki generate` and the Pulumi stack both issue from it.
 */

export type CaId = "kubernetes-ca" | "etcd-ca" | "front-proxy-ca";
export type KeyUsage = "digitalSignature" | "keyEncipherment" | "keyCertSign" | "cRLSign";
export type ExtendedKeyUsage = "serverAuth" | "clientAuth";
export type KeyAlgorithm = "ecdsa-p256" | "rsa-2048" | "rsa-4096";

export interface CertificateAuthorityPlan {
  readonly id: CaId;
  readonly commonName: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly validityDays: number;
  readonly keyUsages: readonly KeyUsage[];
}

export interface CertificatePlan {
  /** Stable identifier, unique per node: `apiserver`, `etcd-peer`, … */
  readonly id: string;
  readonly ca: CaId;
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly keyUsages: readonly KeyUsage[];
  readonly extendedKeyUsages: readonly ExtendedKeyUsage[];
  readonly validityDays: number;
  readonly certPath: string;
  /** Where the key goes; equal to certPath for a combined PEM (the kubelet's client credential). */
  readonly keyPath: string;
  /**
   * Certificates of one node with the same group may be issued for one key pair. Only the kubelet's
   * initial client and serving certificates share one ("kubelet"): same host, same root-only folder,
   * and the client key is replaced at the first rotation anyway. The Pulumi stack uses it to keep
   * the resources per worker at six; `pki generate` issues separate keys regardless.
   */
  readonly keyGroup?: string;
}

export interface NodePkiPlan {
  readonly node: string;
  /** CA certificates the node trusts. */
  readonly caCerts: readonly CaId[];
  /** CA keys the node holds (the controller-manager signs kubelet CSRs with the cluster CA). */
  readonly caKeys: readonly CaId[];
  /** Whether the node holds the service-account key pair (every API server and controller-manager). */
  readonly serviceAccountKeys: boolean;
  readonly certificates: readonly CertificatePlan[];
}

export interface PkiPlan {
  readonly keyAlgorithm: KeyAlgorithm;
  readonly authorities: readonly CertificateAuthorityPlan[];
  readonly serviceAccount: { readonly keyPath: string; readonly publicKeyPath: string };
  readonly nodes: readonly NodePkiPlan[];
  /** Client certificates for people, kept out of every node: admin (RBAC-bound) and super-admin (break-glass). */
  readonly users: readonly CertificatePlan[];
}

const CA_USAGES: readonly KeyUsage[] = ["digitalSignature", "keyCertSign", "cRLSign"];

/** Organization bound to cluster-admin by a ClusterRoleBinding, so the admin identity can be revoked. */
export const CLUSTER_ADMINS_GROUP = "kubeforge:cluster-admins";
/** CN of the API server's client identity towards kubelets, bound to system:kubelet-api-admin. */
export const APISERVER_KUBELET_CLIENT_CN = "kube-apiserver-kubelet-client";

function unique(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ""))];
}

/** Builds the complete certificate plan of a cluster. Pure: same model, same plan. */
export function planPki(model: ClusterModel): PkiPlan {
  const { spec } = model;
  const algorithm = spec.pki.keyAlgorithm;
  const leafUsages: KeyUsage[] = algorithm.startsWith("rsa")
    ? ["digitalSignature", "keyEncipherment"]
    : ["digitalSignature"];
  const days = spec.pki.leafValidityDays;

  const leaf = (
    id: string,
    ca: CaId,
    commonName: string,
    eku: ExtendedKeyUsage[],
    certPath: string,
    keyPath: string,
    extra: { organizations?: string[]; dnsNames?: string[]; ipAddresses?: string[]; keyGroup?: string } = {},
  ): CertificatePlan => ({
    id,
    ca,
    commonName,
    organizations: extra.organizations ?? [],
    dnsNames: unique(extra.dnsNames ?? []),
    ipAddresses: unique(extra.ipAddresses ?? []),
    keyUsages: leafUsages,
    extendedKeyUsages: eku,
    validityDays: days,
    certPath,
    keyPath,
    ...(extra.keyGroup ? { keyGroup: extra.keyGroup } : {}),
  });

  const endpointHost = model.endpoint.host;
  const nodePlans = model.nodes.map((node: NodeSpec): NodePkiPlan => {
    const certificates: CertificatePlan[] = [];
    const caCerts = new Set<CaId>(["kubernetes-ca"]);
    const caKeys = new Set<CaId>();
    const isControlPlane = node.roles.includes("control-plane");
    const etcdMember = model.etcdMemberOf(node.name);
    const nodeIps = unique([node.address, node.externalAddress]);

    if (isControlPlane) {
      caCerts.add("etcd-ca").add("front-proxy-ca");
      caKeys.add("kubernetes-ca");
      certificates.push(
        leaf(
          "apiserver",
          "kubernetes-ca",
          "kube-apiserver",
          ["serverAuth"],
          paths.apiServerCert,
          paths.apiServerKey,
          {
            dnsNames: [
              node.name,
              ...model.kubernetesServiceNames,
              isIpv4(endpointHost) ? undefined : endpointHost,
            ].filter((v): v is string => v !== undefined),
            ipAddresses: [model.apiServerServiceIp, ...nodeIps, isIpv4(endpointHost) ? endpointHost : ""],
          },
        ),
        leaf(
          "apiserver-kubelet-client",
          "kubernetes-ca",
          APISERVER_KUBELET_CLIENT_CN,
          ["clientAuth"],
          paths.apiServerKubeletClientCert,
          paths.apiServerKubeletClientKey,
        ),
        leaf(
          "apiserver-etcd-client",
          "etcd-ca",
          "kube-apiserver-etcd-client",
          ["clientAuth"],
          paths.apiServerEtcdClientCert,
          paths.apiServerEtcdClientKey,
        ),
        leaf(
          "front-proxy-client",
          "front-proxy-ca",
          "front-proxy-client",
          ["clientAuth"],
          paths.frontProxyClientCert,
          paths.frontProxyClientKey,
        ),
        leaf(
          "controller-manager-client",
          "kubernetes-ca",
          "system:kube-controller-manager",
          ["clientAuth"],
          paths.controllerManagerClientCert,
          paths.controllerManagerClientKey,
        ),
        leaf(
          "scheduler-client",
          "kubernetes-ca",
          "system:kube-scheduler",
          ["clientAuth"],
          paths.schedulerClientCert,
          paths.schedulerClientKey,
        ),
        leaf(
          "admin-client",
          "kubernetes-ca",
          "kubeforge-admin",
          ["clientAuth"],
          paths.adminClientCert,
          paths.adminClientKey,
          {
            organizations: [CLUSTER_ADMINS_GROUP],
          },
        ),
      );
    }
    if (etcdMember) {
      caCerts.add("etcd-ca");
      const etcdNames = { dnsNames: [node.name, "localhost"], ipAddresses: [...nodeIps, "127.0.0.1"] };
      certificates.push(
        leaf(
          "etcd-server",
          "etcd-ca",
          node.name,
          ["serverAuth", "clientAuth"],
          paths.etcdServerCert,
          paths.etcdServerKey,
          etcdNames,
        ),
        leaf(
          "etcd-peer",
          "etcd-ca",
          node.name,
          ["serverAuth", "clientAuth"],
          paths.etcdPeerCert,
          paths.etcdPeerKey,
          etcdNames,
        ),
        leaf(
          "etcd-healthcheck-client",
          "etcd-ca",
          "kube-etcd-healthcheck-client",
          ["clientAuth"],
          paths.etcdHealthcheckClientCert,
          paths.etcdHealthcheckClientKey,
        ),
      );
    }
    certificates.push(
      leaf(
        "kubelet-client",
        "kubernetes-ca",
        `system:node:${node.name}`,
        ["clientAuth"],
        paths.kubeletClientCurrent,
        paths.kubeletClientCurrent,
        {
          organizations: ["system:nodes"],
          keyGroup: "kubelet",
        },
      ),
      leaf(
        "kubelet-serving",
        "kubernetes-ca",
        `system:node:${node.name}`,
        ["serverAuth"],
        paths.kubeletServingCert,
        paths.kubeletServingKey,
        {
          organizations: ["system:nodes"],
          keyGroup: "kubelet",
          dnsNames: [node.name],
          ipAddresses: nodeIps,
        },
      ),
    );
    const order: CaId[] = ["kubernetes-ca", "etcd-ca", "front-proxy-ca"];
    return {
      node: node.name,
      caCerts: order.filter((c) => caCerts.has(c)),
      caKeys: order.filter((c) => caKeys.has(c)),
      serviceAccountKeys: isControlPlane,
      certificates,
    };
  });

  const caDays = spec.pki.caValidityDays;
  return {
    keyAlgorithm: algorithm,
    authorities: [
      {
        id: "kubernetes-ca",
        commonName: "kubernetes",
        certPath: paths.caCert,
        keyPath: paths.caKey,
        validityDays: caDays,
        keyUsages: CA_USAGES,
      },
      {
        id: "etcd-ca",
        commonName: "etcd-ca",
        certPath: paths.etcdCaCert,
        keyPath: paths.etcdCaKey,
        validityDays: caDays,
        keyUsages: CA_USAGES,
      },
      {
        id: "front-proxy-ca",
        commonName: "front-proxy-ca",
        certPath: paths.frontProxyCaCert,
        keyPath: paths.frontProxyCaKey,
        validityDays: caDays,
        keyUsages: CA_USAGES,
      },
    ],
    serviceAccount: { keyPath: paths.serviceAccountKey, publicKeyPath: paths.serviceAccountPub },
    nodes: nodePlans,
    users: [
      leaf("admin", "kubernetes-ca", "kubeforge-admin", ["clientAuth"], "admin.crt", "admin.key", {
        organizations: [CLUSTER_ADMINS_GROUP],
      }),
      leaf(
        "super-admin",
        "kubernetes-ca",
        "kubeforge-super-admin",
        ["clientAuth"],
        "super-admin.crt",
        "super-admin.key",
        {
          organizations: ["system:masters"],
        },
      ),
    ],
  };
}

/** Every host path of secret material a node needs (keys, certificates, the encryption config). */
export function secretPathsOf(plan: PkiPlan, nodePlan: NodePkiPlan, extra: readonly string[] = []): string[] {
  const out = new Set<string>();
  for (const ca of plan.authorities) {
    if (nodePlan.caCerts.includes(ca.id)) out.add(ca.certPath);
    if (nodePlan.caKeys.includes(ca.id)) out.add(ca.keyPath);
  }
  if (nodePlan.serviceAccountKeys)
    out.add(plan.serviceAccount.keyPath).add(plan.serviceAccount.publicKeyPath);
  for (const c of nodePlan.certificates) out.add(c.certPath).add(c.keyPath);
  for (const p of extra) out.add(p);
  return [...out].sort();
}

/**
 * The mode a secret path gets on its host: certificates and public keys 0644, everything else
 * (private keys, the kubelet's combined credential, the encryption configuration) 0600. The PKI
 * writer and the Pulumi delivery use these modes; the node index records them, so the audit can
 * decide the PKI file-permission checks without the files.
 */
export function secretModeOf(path: string): number {
  return path.endsWith(".crt") || path.endsWith(".pub") ? 0o644 : 0o600;
}
