import type { ClusterSpecInput } from "../../lib/spec/schema";
import { defaultSpec } from "../util";

/** A Kubernetes version whose kubelet/kubectl checksums are pinned in lib/worker/checksums.ts. */
export const PINNED_VERSION = "1.35.1";

/** The default six-node spec on a pinned version, with optional changes. */
export function pinnedSpec(change: (s: ClusterSpecInput) => void = () => {}): ClusterSpecInput {
  const spec = defaultSpec();
  spec.kubernetesVersion = PINNED_VERSION;
  change(spec);
  return spec;
}
