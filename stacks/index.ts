/**
 * The Pulumi program (`main` in Pulumi.yaml): reads the `kubeforge:*` stack config, provisions the
 * cluster and exports its outputs. Run by `pulumi up` through Node with `--import tsx`.
 */
import { stateFromDist } from "../lib/plan/state";
import { ClusterDeployment } from "./cluster";
import { loadStackConfig } from "./config";

const config = loadStackConfig();

const cluster = new ClusterDeployment("kubeforge", {
  spec: config.spec,
  source: config.source,
  transport: config.transport,
  connection: config.connection,
  rollout: config.rollout,
  previous: config.previousDist ? stateFromDist(config.previousDist) : undefined,
});

/** The API endpoint URL. */
export const endpoint = cluster.endpoint;
/** Admin kubeconfig (secret): `pulumi stack output kubeconfig --show-secrets > kubeconfig`. */
export const kubeconfig = cluster.kubeconfig;
/** PEM of the cluster CA. */
export const caCertificate = cluster.caCertificate;
/** notAfter of every certificate. */
export const certificateExpiry = cluster.certificateExpiry;
/** The nodes. */
export const nodes = cluster.nodes;
/** cloud-init user-data per node (secret). */
export const userData = cluster.userData;
