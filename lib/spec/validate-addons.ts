import type { z } from "zod";
import type { SpecIssue } from "../errors";
import type { NetworkingSchema } from "./schema";

/**
 * Cross-field rules of the cluster add-ons (kube-proxy, CNI). They need only the networking
 * section and the Kubernetes minor, so they run even when other sections fail to parse.
 */

/** The sections the add-on rules read; a missing one (it did not parse) skips its rules. */
export interface AddonSections {
  readonly networking?: z.output<typeof NetworkingSchema>;
  /** The selected Kubernetes minor, e.g. `1.34`. */
  readonly minor?: string;
}

/**
 * The first minor where each kube-proxy mode may be chosen, and the minor from which it is
 * deprecated. nftables: alpha in 1.29, beta and on by default in 1.31, GA in 1.33 (KEP-3866).
 * ipvs: deprecated in 1.35 (KEP-5495); kube-proxy warns at startup and nftables replaces it.
 * @see https://kubernetes.io/docs/reference/networking/virtual-ips/#proxy-modes
 */
export const PROXY_MODE_SUPPORT: Readonly<
  Record<"iptables" | "ipvs" | "nftables", { readonly since?: string; readonly deprecatedSince?: string }>
> = {
  iptables: {},
  ipvs: { deprecatedSince: "1.35" },
  nftables: { since: "1.31" },
};

/** The CNI plugins that enforce NetworkPolicy. Flannel only routes pod traffic. */
export const POLICY_ENFORCING_CNIS: readonly string[] = ["calico"];

function minorAtLeast(minor: string, floor: string): boolean {
  const [a = 0, b = 0] = minor.split(".").map(Number);
  const [c = 0, d = 0] = floor.split(".").map(Number);
  return a !== c ? a > c : b >= d;
}

/** Checks the add-on settings and pushes one issue per broken rule. */
export function checkAddons(sections: AddonSections, push: (issue: SpecIssue) => void): void {
  const net = sections.networking;
  if (!net) return;
  const cni = net.cni;
  if (cni.enforceNetworkPolicy && cni.plugin !== "none" && !POLICY_ENFORCING_CNIS.includes(cni.plugin)) {
    push({
      code: "CNI_POLICY_UNSUPPORTED",
      path: "networking.cni.plugin",
      value: cni.plugin,
      rule: `enforce NetworkPolicy because networking.cni.enforceNetworkPolicy is true (${cni.plugin} does not)`,
      fix: "Set networking.cni.enforceNetworkPolicy: false or use calico.",
    });
  }
  const minor = sections.minor;
  if (minor === undefined) return;
  const mode = net.kubeProxy.mode;
  const support = PROXY_MODE_SUPPORT[mode];
  if (support.since !== undefined && !minorAtLeast(minor, support.since)) {
    push({
      code: "PROXY_MODE_UNSUPPORTED",
      path: "networking.kubeProxy.mode",
      value: mode,
      rule: `be supported by Kubernetes ${minor} (${mode} needs ${support.since} or newer)`,
      fix: `Use iptables, or Kubernetes ${support.since} or newer.`,
    });
  }
  if (support.deprecatedSince !== undefined && minorAtLeast(minor, support.deprecatedSince)) {
    push({
      code: "PROXY_MODE_DEPRECATED",
      path: "networking.kubeProxy.mode",
      value: mode,
      rule: `not be deprecated in Kubernetes ${minor} (${mode} is deprecated since ${support.deprecatedSince})`,
      fix: "Use nftables (or iptables on kernels older than 5.13).",
    });
  }
}
