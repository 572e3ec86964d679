import { Construct } from "constructs";
import { NodeFile } from "../host/node-file";
import { MANIFESTS_DIR } from "../paths";
import type { ClusterModel } from "../spec/model";
import type { NodeSpec } from "../spec/schema";
import { type StaticPodOptions, staticPodManifest, unmountedPaths } from "./static-pod";

/** Props every per-node component construct takes. */
export interface ComponentProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
  /** The node the component runs on. */
  readonly node: NodeSpec;
}

/**
 * Base of a component that runs as a static pod on one node: computes flags and mounts,
 * checks that every file a flag names is mounted, and writes the manifest as a node file.
 * @internal
 */
export abstract class StaticPodComponent extends Construct {
  /** The resolved flags, without leading dashes. */
  readonly flags: Readonly<Record<string, string>>;
  /** The Pod manifest written to /etc/kubernetes/manifests. */
  readonly manifest: Record<string, unknown>;
  readonly manifestFile: NodeFile;

  protected constructor(scope: Construct, id: string, options: StaticPodOptions) {
    super(scope, id);
    const missing = unmountedPaths(options.flags, options.mounts);
    if (missing.length > 0) {
      throw new Error(`internal: ${options.name} flags name unmounted paths: ${missing.join(", ")}`);
    }
    this.flags = options.flags;
    this.manifest = staticPodManifest(options);
    this.manifestFile = NodeFile.yaml(
      this,
      "manifest",
      `${MANIFESTS_DIR}/${options.name}.yaml`,
      this.manifest,
      0o600,
    );
  }
}
