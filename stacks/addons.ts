import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { RenderedObjects } from "../lib/synth";

/**
 * The synthesized cluster objects (RBAC, CNI, CoreDNS, kube-proxy, policies…) applied through the
 * API server with @pulumi/kubernetes, once the control plane and nodes have passed their gates.
 */

/** What {@link createAddons} registers. */
export interface Addons {
  readonly provider: k8s.Provider;
  /** One ConfigGroup per synthesized file under `dist/cluster/`, keyed by file name. */
  readonly groups: ReadonlyMap<string, k8s.yaml.ConfigGroup>;
}

/** The ConfigGroup name of a synthesized file: `cluster.yaml` → `<prefix>-cluster`. */
export function addonGroupName(prefix: string, file: string): string {
  return `${prefix}-${file.replace(/\.ya?ml$/, "")}`;
}

/**
 * A Kubernetes provider from the admin kubeconfig and one ConfigGroup (v1, `objs`) per cluster
 * object file. Every object waits for `ready`: ConfigGroup children inherit only their parent from
 * the group, so the dependency and the provider are set on each child explicitly.
 */
export function createAddons(
  prefix: string,
  kubeconfig: pulumi.Output<string>,
  files: readonly RenderedObjects[],
  ready: pulumi.Resource,
  parent: pulumi.Resource,
): Addons {
  const provider = new k8s.Provider(`${prefix}-k8s`, { kubeconfig }, { parent });
  const groups = new Map<string, k8s.yaml.ConfigGroup>();
  for (const file of files) {
    const group = new k8s.yaml.ConfigGroup(
      addonGroupName(prefix, file.name),
      {
        objs: file.objects.map((o) => structuredClone(o)),
        resourcePrefix: prefix,
        transformations: [
          (_obj: unknown, opts: pulumi.CustomResourceOptions) => {
            opts.provider = provider;
            opts.dependsOn = [ready];
          },
        ],
      },
      { parent, provider, dependsOn: [ready] },
    );
    groups.set(file.name, group);
  }
  return { provider, groups };
}
