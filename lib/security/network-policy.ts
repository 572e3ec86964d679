import { k8s } from "cdk8s-plus-27";
import { Construct } from "constructs";
import { type PodSecuritySettings, podSecurityLabels } from "./pod-security";

/** Namespaces every cluster has: kubeforge never creates them, it only adds policies to them. */
export const BUILT_IN_NAMESPACES: readonly string[] = [
  "default",
  "kube-node-lease",
  "kube-public",
  "kube-system",
];

/** The name of the default-deny policy in each listed namespace. */
export const DEFAULT_DENY_POLICY_NAME = "kubeforge-default-deny";

export interface DefaultDenyNetworkPoliciesProps {
  /** Namespaces that get a policy denying all ingress and egress until other policies allow it. */
  readonly namespaces: readonly string[];
  /** Labels for the namespaces kubeforge creates (those that are not built in). */
  readonly podSecurity: PodSecuritySettings;
}

/**
 * A default-deny NetworkPolicy (an empty pod selector with both policy types and no rules) in each
 * listed namespace. Namespaces that are not built in are created here, with Pod Security labels, so
 * the policy has somewhere to live and the namespace's level does not depend on cluster defaults.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies
 */
export class DefaultDenyNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: DefaultDenyNetworkPoliciesProps) {
    super(scope, id);
    for (const namespace of [...new Set(props.namespaces)].sort()) {
      if (!BUILT_IN_NAMESPACES.includes(namespace)) {
        new k8s.KubeNamespace(this, `namespace-${namespace}`, {
          metadata: { name: namespace, labels: podSecurityLabels(props.podSecurity) },
        });
      }
      new k8s.KubeNetworkPolicy(this, `default-deny-${namespace}`, {
        metadata: { name: DEFAULT_DENY_POLICY_NAME, namespace },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      });
    }
  }
}
