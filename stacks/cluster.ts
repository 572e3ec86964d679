import * as pulumi from "@pulumi/pulumi";
import { type ClusterDeploymentArgs, createCluster, type NodeSummary } from "./provision";

/** The Pulumi type token of {@link ClusterDeployment}. */
export const CLUSTER_TYPE = "kubeforge:index:Cluster";

/**
 * A kubeforge cluster provisioned by Pulumi (`kubeforge:index:Cluster`): PKI in state, node files
 * delivered in rollout order with health gates, add-ons applied, and the outputs below. The logic
 * lives in {@link createCluster}; this class only wires children and outputs.
 *
 * @example
 * const cluster = new ClusterDeployment("prod", { spec, connection: { user: "root", port: 22, privateKey, hostKeys: {} } });
 * export const kubeconfig = cluster.kubeconfig;
 */
export class ClusterDeployment extends pulumi.ComponentResource {
  /** The API endpoint URL, e.g. `https://192.0.2.10:6443`. */
  declare readonly endpoint: pulumi.Output<string>;
  /** Admin kubeconfig with embedded credentials (RBAC-bound group, revocable). Secret. */
  declare readonly kubeconfig: pulumi.Output<string>;
  /** Break-glass kubeconfig (system:masters). Secret; keep it out of daily use. */
  declare readonly superAdminKubeconfig: pulumi.Output<string>;
  /** PEM of the cluster CA. */
  declare readonly caCertificate: pulumi.Output<string>;
  /** notAfter (RFC 3339) of every certificate: `ca/<id>`, `<node>/<id>`, `user/<id>`. */
  declare readonly certificateExpiry: pulumi.Output<Record<string, string>>;
  /** The nodes with address, roles and content hash. */
  declare readonly nodes: pulumi.Output<NodeSummary[]>;
  /** cloud-init user-data per node (with its secrets), for hosts created by a cloud package. Secret. */
  declare readonly userData: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ClusterDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    super(CLUSTER_TYPE, name, {}, opts);
    const c = createCluster(name, args, this);
    this.endpoint = pulumi.output(c.endpoint);
    this.kubeconfig = c.kubeconfig;
    this.superAdminKubeconfig = c.superAdminKubeconfig;
    this.caCertificate = c.caCertificate;
    this.certificateExpiry = c.certificateExpiry;
    this.nodes = pulumi.output(c.nodes.map((n) => ({ ...n, roles: [...n.roles] })));
    this.userData = c.userData;
    this.registerOutputs({
      endpoint: this.endpoint,
      kubeconfig: this.kubeconfig,
      superAdminKubeconfig: this.superAdminKubeconfig,
      caCertificate: this.caCertificate,
      certificateExpiry: this.certificateExpiry,
      nodes: this.nodes,
      userData: this.userData,
    });
  }
}

export type { ClusterDeploymentArgs, NodeSummary };
