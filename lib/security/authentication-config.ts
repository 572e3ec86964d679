import type { ClusterSpec } from "../spec/validate";

/** Paths the kubelet's probes and load balancers reach without credentials. */
export const ANONYMOUS_HEALTH_PATHS: readonly string[] = ["/healthz", "/livez", "/readyz"];

/**
 * The API server's AuthenticationConfiguration: anonymous requests are refused everywhere except
 * the health endpoints, so static-pod probes and load-balancer checks keep working while the
 * API itself stays closed to anonymous users (CIS 1.2.1's intent, without breaking liveness).
 * `apiserver.config.k8s.io/v1` is served from 1.34 (StructuredAuthenticationConfiguration GA);
 * 1.33 has `v1beta1` with the AnonymousAuthConfigurableEndpoints gate on by default.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-authenticator-configuration
 */
export function authenticationConfiguration(spec: ClusterSpec): Record<string, unknown> {
  const minor = Number(spec.release.minor.split(".")[1]);
  return {
    apiVersion: minor >= 34 ? "apiserver.config.k8s.io/v1" : "apiserver.config.k8s.io/v1beta1",
    kind: "AuthenticationConfiguration",
    anonymous: { enabled: true, conditions: ANONYMOUS_HEALTH_PATHS.map((path) => ({ path })) },
  };
}
