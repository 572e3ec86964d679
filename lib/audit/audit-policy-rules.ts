/**
 * A reader for audit.k8s.io/v1 Policy documents: which level a request gets (first matching rule
 * wins, as in the API server) and whether any request for a resource can be logged with its body.
 * @see https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/#audit-k8s-io-v1-Policy
 */

/** Audit levels, from least to most detail. */
export const AUDIT_LEVELS = ["None", "Metadata", "Request", "RequestResponse"] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

/** A resource request as the policy matches it. */
export interface AuditRequest {
  readonly user: string;
  readonly groups?: readonly string[];
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace?: string;
}

interface GroupResources {
  readonly group?: string;
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
}

interface PolicyRule {
  readonly level?: AuditLevel;
  readonly users?: readonly string[];
  readonly userGroups?: readonly string[];
  readonly verbs?: readonly string[];
  readonly resources?: readonly GroupResources[];
  readonly namespaces?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

function rulesOf(policy: unknown): PolicyRule[] {
  const rules = (policy as { rules?: unknown } | undefined)?.rules;
  return Array.isArray(rules) ? (rules as PolicyRule[]) : [];
}

/** Does a `resources` entry (`pods`, `pods/exec`, `*`, `*\/exec`) cover the resource and subresource? */
function resourceMatches(pattern: string, resource: string, subresource?: string): boolean {
  const full = subresource ? `${resource}/${subresource}` : resource;
  if (pattern === "*" || pattern === full) return true;
  if (pattern === `${resource}/*` && subresource) return true;
  return pattern === `*/${subresource}` && subresource !== undefined;
}

function groupResourcesMatch(list: readonly GroupResources[] | undefined, r: AuditRequest): boolean {
  if (list === undefined || list.length === 0) return true;
  return list.some(
    (g) =>
      (g.group ?? "") === r.group &&
      (g.resources === undefined ||
        g.resources.length === 0 ||
        g.resources.some((p) => resourceMatches(p, r.resource, r.subresource))),
  );
}

function ruleMatches(rule: PolicyRule, r: AuditRequest): boolean {
  if (rule.nonResourceURLs && rule.nonResourceURLs.length > 0) return false;
  if (rule.users && rule.users.length > 0 && !rule.users.includes(r.user)) return false;
  if (rule.userGroups && rule.userGroups.length > 0 && !rule.userGroups.some((g) => r.groups?.includes(g)))
    return false;
  if (rule.verbs && rule.verbs.length > 0 && !rule.verbs.includes(r.verb)) return false;
  if (rule.namespaces && rule.namespaces.length > 0 && !rule.namespaces.includes(r.namespace ?? ""))
    return false;
  return groupResourcesMatch(rule.resources, r);
}

/** The level a request is logged at: the first matching rule's, None when none matches. */
export function auditLevelFor(policy: unknown, request: AuditRequest): AuditLevel {
  for (const rule of rulesOf(policy)) {
    if (ruleMatches(rule, request)) return rule.level ?? "None";
  }
  return "None";
}

/**
 * The first rule that could log a request for this resource above Metadata (with a body) for some
 * user, verb or namespace, or undefined when no request for it is ever logged with a body. A rule
 * limited by user, group, verb, namespace or resource name can be passed by some requests, so the
 * scan continues past it; an unconditional match ends the scan.
 */
export function bodyLoggingRule(
  policy: unknown,
  group: string,
  resource: string,
): { readonly index: number; readonly level: AuditLevel } | undefined {
  const rules = rulesOf(policy);
  for (const [index, rule] of rules.entries()) {
    if (rule.nonResourceURLs && rule.nonResourceURLs.length > 0) continue;
    const probe: AuditRequest = { user: "", verb: "", group, resource };
    const covering = (rule.resources ?? []).filter((g) => groupResourcesMatch([g], probe));
    if (rule.resources && rule.resources.length > 0 && covering.length === 0) continue;
    const level = rule.level ?? "None";
    if (AUDIT_LEVELS.indexOf(level) > AUDIT_LEVELS.indexOf("Metadata")) return { index, level };
    const unconditional =
      !(rule.users?.length || rule.userGroups?.length || rule.verbs?.length || rule.namespaces?.length) &&
      covering.every((g) => !g.resourceNames?.length);
    if (unconditional) return undefined;
  }
  return undefined;
}
