import { KUBEFORGE_CONFIG_DIR } from "../paths";
import type { ClusterSpec } from "../spec/validate";

/** A Pod Security Standard level. */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/** Where the API server reads its AdmissionConfiguration (`--admission-control-config-file`). */
export const ADMISSION_CONFIG_PATH = `${KUBEFORGE_CONFIG_DIR}/admission-config.yaml`;

/** The three Pod Security Admission modes, in the order the labels are written. */
const MODES = ["enforce", "audit", "warn"] as const;

/** The resolved Pod Security settings: what the AdmissionConfiguration and namespace labels carry. */
export interface PodSecuritySettings {
  readonly enforce: PodSecurityLevel;
  readonly audit: PodSecurityLevel;
  readonly warn: PodSecurityLevel;
  readonly exemptNamespaces: readonly string[];
}

/**
 * The API server's AdmissionConfiguration: the PodSecurity plugin's cluster-wide defaults (used in
 * every namespace without its own `pod-security.kubernetes.io/*` labels) and its exemptions.
 * Versions are pinned to `latest` so a Kubernetes upgrade tightens the standard with it.
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-admission-controller/
 */
export function admissionConfiguration(settings: PodSecuritySettings): Record<string, unknown> {
  const defaults: Record<string, string> = {};
  for (const mode of MODES) {
    defaults[mode] = settings[mode];
    defaults[`${mode}-version`] = "latest";
  }
  return {
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "AdmissionConfiguration",
    plugins: [
      {
        name: "PodSecurity",
        configuration: {
          apiVersion: "pod-security.admission.config.k8s.io/v1",
          kind: "PodSecurityConfiguration",
          defaults,
          exemptions: {
            usernames: [],
            runtimeClasses: [],
            namespaces: [...settings.exemptNamespaces].sort(),
          },
        },
      },
    ],
  };
}

/** The AdmissionConfiguration for a resolved cluster spec. */
export function clusterAdmissionConfiguration(spec: ClusterSpec): Record<string, unknown> {
  return admissionConfiguration(spec.security.podSecurity);
}

/**
 * The `pod-security.kubernetes.io/*` labels for a namespace kubeforge creates, so the namespace
 * keeps its level even if the cluster-wide defaults change later.
 */
export function podSecurityLabels(settings: PodSecuritySettings): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of MODES) {
    labels[`pod-security.kubernetes.io/${mode}`] = settings[mode];
    labels[`pod-security.kubernetes.io/${mode}-version`] = "latest";
  }
  return labels;
}

/** Strictness order of the levels, for comparisons such as "at least baseline". */
export function podSecurityRank(level: PodSecurityLevel): number {
  return level === "restricted" ? 2 : level === "baseline" ? 1 : 0;
}
