/**
 * The EncryptionConfiguration for Secrets at rest. Built only at apply time (it holds the key):
 * synthesized manifests refer to its path and never contain it.
 * @see https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/
 */
export function encryptionConfiguration(
  provider: "secretbox" | "aescbc",
  key: { readonly name: string; readonly secretBase64: string },
): Record<string, unknown> {
  if (Buffer.from(key.secretBase64, "base64").length !== 32) {
    throw new Error("the encryption key must be 32 random bytes, base64-encoded");
  }
  return {
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "EncryptionConfiguration",
    resources: [
      {
        resources: ["secrets"],
        // The identity provider last lets the API server read Secrets written before encryption was on.
        providers: [
          { [provider]: { keys: [{ name: key.name, secret: key.secretBase64 }] } },
          { identity: {} },
        ],
      },
    ],
  };
}
