import { App, type AppProps } from "cdk8s";
import { type RenderedCluster, renderTree, type WriteReport, writeRendered } from "./synth";

/**
 * A cdk8s App that synthesizes kubeforge's layout: `nodes/<node>/<host path>` for node files and
 * `cluster/` for API objects. Everything is validated and rendered in memory before the first
 * write, so a failing spec leaves the output directory untouched.
 */
export class ClusterApp extends App {
  /** The report of the last {@link synth}, for callers that want figures. */
  lastReport?: WriteReport;

  constructor(props: AppProps = {}) {
    super(props);
  }

  /** Renders the tree without writing anything. */
  render(): RenderedCluster {
    return renderTree(this);
  }

  override synth(): void {
    this.lastReport = writeRendered(this.render(), this.outdir);
  }
}
