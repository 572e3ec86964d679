import { Chart } from "cdk8s";
import { Construct } from "constructs";
import { securityWarnings } from "./audit/opt-outs";
import { ControlPlaneNode } from "./control-plane/control-plane-node";
import { kubeconfig } from "./control-plane/kubeconfig";
import { EtcdBackup } from "./etcd/backup";
import { EtcdMember } from "./etcd/etcd-member";
import { EtcdRestore } from "./etcd/restore";
import { HostNode, NodeFile } from "./host/node-file";
import { ClusterAddons } from "./networking/addons";
import { paths } from "./paths";
import { type PkiPlan, planPki, secretPathsOf } from "./pki/plan";
import { DefaultDenyNetworkPolicies } from "./security/network-policy";
import { ControlPlaneRbac } from "./security/rbac";
import { DEFAULT_CLUSTER_SPEC } from "./spec/defaults";
import { ClusterModel } from "./spec/model";
import type { ClusterSpecInput } from "./spec/schema";
import { type ClusterSpec, resolveClusterSpec } from "./spec/validate";
import { NodeRuntime } from "./worker/node-runtime";

export interface ClusterProps {
  /**
   * The cluster spec, as written in `kubeforge.yaml`. Validated in full: every problem is reported
   * at once in a {@link SpecValidationError}.
   * @default the built-in default cluster (3 control-plane nodes with stacked etcd, 3 workers)
   */
  readonly spec?: ClusterSpecInput;
  /** Where the spec came from, for error messages (e.g. a file name). */
  readonly source?: string;
}

/**
 * A whole cluster: one {@link HostNode} of files per node, and a chart of cluster objects applied
 * through the API server. Node files are plain constructs, so 5,000 nodes cost a tree walk, not
 * 5,000 charts.
 */
export class Cluster extends Construct {
  readonly spec: ClusterSpec;
  readonly model: ClusterModel;
  readonly pki: PkiPlan;
  /** Host file bundles by node name. */
  readonly hosts: ReadonlyMap<string, HostNode>;
  /** Cluster objects applied through the API server. */
  readonly objects: Chart;
  /** One line per protection the spec turns off; `synth` prints them (see lib/audit/opt-outs.ts). */
  readonly warnings: readonly string[];

  constructor(scope: Construct, id: string, props: ClusterProps = {}) {
    super(scope, id);
    this.spec = resolveClusterSpec(props.spec ?? DEFAULT_CLUSTER_SPEC, props.source);
    this.model = new ClusterModel(this.spec);
    this.pki = planPki(this.model);
    this.warnings = securityWarnings(this.spec);
    const { model, spec } = this;

    const nodes = new Construct(this, "nodes");
    const hosts = new Map<string, HostNode>();
    for (const nodePlan of this.pki.nodes) {
      const node = model.nodes.find((n) => n.name === nodePlan.node);
      if (!node) throw new Error(`internal: PKI plan names unknown node ${nodePlan.node}`);
      const isControlPlane = node.roles.includes("control-plane");
      const extraSecrets =
        isControlPlane && spec.security.encryptionAtRest.enabled ? [paths.encryptionConfig] : [];
      const host = new HostNode(nodes, node.name, {
        nodeName: node.name,
        secretPaths: secretPathsOf(this.pki, nodePlan, extraSecrets),
      });
      if (model.etcdMemberOf(node.name)) {
        new EtcdMember(host, "etcd", { model, node });
        if (spec.etcd.backup.enabled) new EtcdBackup(host, "etcd-backup", { model, node });
        new EtcdRestore(host, "etcd-restore", { model, node });
      }
      if (isControlPlane) new ControlPlaneNode(host, "control-plane", { model, node });
      new NodeRuntime(host, "runtime", { model, node });
      NodeFile.yaml(
        host,
        "kubelet-kubeconfig",
        paths.kubeletKubeconfig,
        kubeconfig({
          clusterName: spec.name,
          server: model.endpoint.url,
          user: `system:node:${node.name}`,
          clientCertificate: paths.kubeletClientCurrent,
          clientKey: paths.kubeletClientCurrent,
        }),
      );
      hosts.set(node.name, host);
    }
    this.hosts = hosts;

    this.objects = new Chart(this, "cluster", { disableResourceNameHashes: true });
    new ControlPlaneRbac(this.objects, "rbac");
    if (spec.security.defaultDenyNetworkPolicies.length > 0) {
      new DefaultDenyNetworkPolicies(this.objects, "default-deny", {
        namespaces: spec.security.defaultDenyNetworkPolicies,
        podSecurity: spec.security.podSecurity,
      });
    }
    new ClusterAddons(this, "addons", { model });
  }
}
