import { paths } from "../paths";

export interface KubeconfigOptions {
  readonly clusterName: string;
  /** API server URL, e.g. `https://192.0.2.10:6443`. */
  readonly server: string;
  /** The user name inside the kubeconfig (not the certificate's CN). */
  readonly user: string;
  readonly clientCertificate: string;
  readonly clientKey: string;
  /** @default /etc/kubernetes/pki/ca.crt */
  readonly certificateAuthority?: string;
}

/**
 * A kubeconfig that refers to its credentials by path, so it can be synthesized without secrets.
 * @see https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/
 */
export function kubeconfig(o: KubeconfigOptions): Record<string, unknown> {
  const context = `${o.user}@${o.clusterName}`;
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: o.clusterName,
        cluster: { server: o.server, "certificate-authority": o.certificateAuthority ?? paths.caCert },
      },
    ],
    users: [{ name: o.user, user: { "client-certificate": o.clientCertificate, "client-key": o.clientKey } }],
    contexts: [{ name: context, context: { cluster: o.clusterName, user: o.user } }],
    "current-context": context,
    preferences: {},
  };
}
