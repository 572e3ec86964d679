import { k8s } from "cdk8s-plus-27";

/**
 * The update strategy of every add-on workload: replace one pod at a time, so a bad image or
 * configuration stops after the first pod instead of taking the add-on down everywhere.
 * @internal
 */
export function oneAtATime(): { type: string; rollingUpdate: { maxUnavailable: k8s.IntOrString } } {
  return { type: "RollingUpdate", rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } };
}
