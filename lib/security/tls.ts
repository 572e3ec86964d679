/**
 * TLS settings shared by every serving component: TLS 1.2 or newer, and for TLS 1.2 only AEAD
 * suites with forward secrecy (the CIS Kubernetes Benchmark's strong-cipher list, minus CBC modes).
 * TLS 1.3 suites are not configurable in Go and are all strong.
 */
export const STRONG_CIPHER_SUITES: readonly string[] = [
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

/** The Kubernetes components' spelling of the minimum version. */
export const TLS_MIN_VERSION = "VersionTLS12";

/** Flags every Kubernetes serving component takes. */
export function kubernetesTlsFlags(): Record<string, string> {
  return { "tls-cipher-suites": STRONG_CIPHER_SUITES.join(","), "tls-min-version": TLS_MIN_VERSION };
}
