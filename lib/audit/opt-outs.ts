import type { ClusterSpec } from "../spec/validate";

/**
 * One way to turn a protection off: the named setting, when the spec turns it off, and the
 * benchmark checks that then fail. The single list that synth warnings, the audit's FAIL messages
 * and the opt-out tests all read, so the three cannot drift apart.
 */
export interface OptOut {
  /** The spec path, as written in kubeforge.yaml. */
  readonly setting: string;
  /** The value that turns the protection off, as the warning and README show it. */
  readonly offValue: string;
  /** True when the spec turns this protection off. */
  readonly isOff: (spec: ClusterSpec) => boolean;
  /** CIS check ids that fail while the protection is off. */
  readonly checks: readonly string[];
  /** What is lost, phrased to follow "this ". */
  readonly consequence: string;
}

const AUDIT_RETENTION = { maxAge: 30, maxBackup: 10, maxSize: 100 } as const;

/** Every protection the spec can turn off. */
export const OPT_OUTS: readonly OptOut[] = [
  {
    setting: "security.anonymousAuth",
    offValue: "true",
    isOff: (s) => s.security.anonymousAuth,
    checks: ["1.2.1"],
    consequence: "lets anonymous requests reach every API server path, not only the health endpoints",
  },
  {
    setting: "security.profiling",
    offValue: "true",
    isOff: (s) => s.security.profiling,
    checks: ["1.2.15", "1.3.2", "1.4.1"],
    consequence: "exposes /debug/pprof on the API server, controller-manager and scheduler",
  },
  {
    setting: "security.auditLog.enabled",
    offValue: "false",
    isOff: (s) => !s.security.auditLog.enabled,
    checks: ["1.2.16", "1.2.17", "1.2.18", "1.2.19", "3.2.1", "3.2.2"],
    consequence: "leaves no record of who did what through the API",
  },
  {
    setting: "security.auditLog.maxAge",
    offValue: `< ${AUDIT_RETENTION.maxAge}`,
    isOff: (s) => s.security.auditLog.enabled && s.security.auditLog.maxAge < AUDIT_RETENTION.maxAge,
    checks: ["1.2.17"],
    consequence: `keeps audit logs for fewer than ${AUDIT_RETENTION.maxAge} days`,
  },
  {
    setting: "security.auditLog.maxBackup",
    offValue: `< ${AUDIT_RETENTION.maxBackup}`,
    isOff: (s) => s.security.auditLog.enabled && s.security.auditLog.maxBackup < AUDIT_RETENTION.maxBackup,
    checks: ["1.2.18"],
    consequence: `keeps fewer than ${AUDIT_RETENTION.maxBackup} rotated audit logs`,
  },
  {
    setting: "security.auditLog.maxSize",
    offValue: `< ${AUDIT_RETENTION.maxSize}`,
    isOff: (s) => s.security.auditLog.enabled && s.security.auditLog.maxSize < AUDIT_RETENTION.maxSize,
    checks: ["1.2.19"],
    consequence: `rotates audit logs below ${AUDIT_RETENTION.maxSize} MiB`,
  },
  {
    setting: "security.encryptionAtRest.enabled",
    offValue: "false",
    isOff: (s) => !s.security.encryptionAtRest.enabled,
    checks: ["1.2.27", "1.2.28"],
    consequence: "stores Secrets in etcd in plain text",
  },
  {
    setting: "security.podSecurity.enforce",
    offValue: "privileged",
    isOff: (s) => s.security.podSecurity.enforce === "privileged",
    checks: ["5.2.1", "5.2.2", "5.2.3", "5.2.4", "5.2.5", "5.2.10", "5.2.11", "5.2.12"],
    consequence: "admits privileged and host-namespace pods in every namespace without its own label",
  },
  {
    setting: "networking.cni.enforceNetworkPolicy",
    offValue: "false",
    isOff: (s) => !s.networking.cni.enforceNetworkPolicy && s.networking.cni.plugin === "flannel",
    checks: ["5.3.1"],
    consequence: "runs a pod network (flannel) that ignores NetworkPolicy objects",
  },
];

/** The minimum audit-log retention CIS 1.2.17–1.2.19 expect. */
export const AUDIT_LOG_MINIMUMS = AUDIT_RETENTION;

/** The opt-out that governs a check, if any: the setting a FAIL message names. */
export function optOutsFor(checkId: string): OptOut[] {
  return OPT_OUTS.filter((o) => o.checks.includes(checkId));
}

/** One warning per protection the spec turns off, for `synth` to print. */
export function securityWarnings(spec: ClusterSpec): string[] {
  return OPT_OUTS.filter((o) => o.isOff(spec)).map(
    (o) =>
      `'${o.setting}' (${o.offValue}) turns a protection off: this ${o.consequence}. CIS ${o.checks.join(", ")} will fail in 'kubeforge audit'.`,
  );
}
