/**
 * The cdk8s app entry (`npx cdk8s synth`, see cdk8s.yaml): the same synthesis as `kubeforge synth`.
 * The spec comes from $KUBEFORGE_CONFIG, or the built-in default cluster when it is unset.
 */
import { Cluster, ClusterApp, KubeforgeError, loadSpecFile } from "../lib";

try {
  const config = process.env.KUBEFORGE_CONFIG;
  const app = new ClusterApp();
  new Cluster(app, "cluster", {
    spec: config ? (loadSpecFile(config) as never) : undefined,
    source: config ?? "the built-in default cluster",
  });
  app.synth();
} catch (e) {
  if (!(e instanceof KubeforgeError)) throw e;
  process.stderr.write(`error: ${e.message}\n`);
  process.exitCode = 1;
}
