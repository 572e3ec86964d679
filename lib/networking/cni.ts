import type { Construct } from "constructs";
import type { ClusterModel } from "../spec/model";
import { Calico, type CalicoEncapsulation } from "./calico";
import { Flannel } from "./flannel";

/** The pod network plugins kubeforge can install (`networking.cni.plugin`). */
export type CniPlugin = "calico" | "flannel" | "none";

/** Props of {@link addCni}. */
export interface CniProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
  /**
   * Calico's encapsulation, when Calico is the plugin.
   * @default "vxlan"
   */
  readonly calicoEncapsulation?: CalicoEncapsulation;
}

/**
 * Adds the chart of the spec's CNI plugin under `scope` with the given id, or nothing for `none`.
 * With `none`, no pod network is installed: nodes stay NotReady until you apply your own plugin,
 * which must use `networking.podCIDR` as its pod network (the controller-manager allocates node
 * ranges from it and kube-proxy treats it as cluster traffic).
 * @returns the chart, or undefined for `none`
 * @see https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/network-plugins/
 */
export function addCni(scope: Construct, id: string, props: CniProps): Calico | Flannel | undefined {
  const plugin: CniPlugin = props.model.spec.networking.cni.plugin;
  switch (plugin) {
    case "calico":
      return new Calico(scope, id, { model: props.model, encapsulation: props.calicoEncapsulation });
    case "flannel":
      return new Flannel(scope, id, { model: props.model });
    case "none":
      return undefined;
  }
}
