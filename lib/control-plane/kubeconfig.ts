import { paths } from "../paths";

/** What every kubeconfig names: the cluster, where its API server is, and which user it acts as. */
interface KubeconfigIdentity {
  readonly clusterName: string;
  /** API server URL, e.g. `https://192.0.2.10:6443`. */
  readonly server: string;
  /** The user name inside the kubeconfig (not the certificate's CN). */
  readonly user: string;
}

/** A kubeconfig whose credentials are host paths (synthesized node files). */
export interface KubeconfigOptions extends KubeconfigIdentity {
  readonly clientCertificate: string;
  readonly clientKey: string;
  /** @default /etc/kubernetes/pki/ca.crt */
  readonly certificateAuthority?: string;
}

/** A kubeconfig whose credentials are embedded PEM (written only by `pki generate`). */
export interface EmbeddedKubeconfigOptions extends KubeconfigIdentity {
  /** PEM of the CA that signed the API server's serving certificate. */
  readonly certificateAuthorityPem: string;
  /** PEM of the client certificate. */
  readonly clientCertificatePem: string;
  /** PEM of the client's private key. */
  readonly clientKeyPem: string;
}

/** The one kubeconfig shape both variants share; they differ only in how credentials are given. */
function kubeconfigDocument(
  o: KubeconfigIdentity,
  clusterCredentials: Record<string, string>,
  userCredentials: Record<string, string>,
): Record<string, unknown> {
  const context = `${o.user}@${o.clusterName}`;
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: o.clusterName, cluster: { server: o.server, ...clusterCredentials } }],
    users: [{ name: o.user, user: userCredentials }],
    contexts: [{ name: context, context: { cluster: o.clusterName, user: o.user } }],
    "current-context": context,
    preferences: {},
  };
}

/**
 * A kubeconfig that refers to its credentials by path, so it can be synthesized without secrets.
 * @see https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
 */
export function kubeconfig(o: KubeconfigOptions): Record<string, unknown> {
  return kubeconfigDocument(
    o,
    { "certificate-authority": o.certificateAuthority ?? paths.caCert },
    { "client-certificate": o.clientCertificate, "client-key": o.clientKey },
  );
}

/**
 * A self-contained kubeconfig with its credentials embedded (base64 PEM), for people and tools off
 * the nodes. It holds a private key: it is written only by `kubeforge pki generate`, never synthesized.
 * @see https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/
 */
export function embeddedKubeconfig(o: EmbeddedKubeconfigOptions): Record<string, unknown> {
  const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");
  return kubeconfigDocument(
    o,
    { "certificate-authority-data": b64(o.certificateAuthorityPem) },
    { "client-certificate-data": b64(o.clientCertificatePem), "client-key-data": b64(o.clientKeyPem) },
  );
}
