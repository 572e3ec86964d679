import { k8s } from "cdk8s-plus-27";
import { Construct } from "constructs";
import { APISERVER_KUBELET_CLIENT_CN, CLUSTER_ADMINS_GROUP } from "../pki/plan";

/**
 * The cluster-wide RBAC the control plane relies on, each binding granting the least it can:
 * - the API server's kubelet client gets `system:kubelet-api-admin` (not cluster-admin, as kubeadm's does);
 * - the admin certificates' group gets cluster-admin through a binding that can be deleted to revoke it
 *   (the super-admin break-glass identity stays in system:masters and on no node);
 * - nodes may renew their own client certificates (the CSR approver needs this binding).
 */
export class ControlPlaneRbac extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const bind = (name: string, role: string, kind: "User" | "Group", subject: string) =>
      new k8s.KubeClusterRoleBinding(this, name, {
        metadata: { name: `kubeforge:${name}` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind, name: subject }],
      });
    bind("cluster-admins", "cluster-admin", "Group", CLUSTER_ADMINS_GROUP);
    bind("apiserver-kubelet-client", "system:kubelet-api-admin", "User", APISERVER_KUBELET_CLIENT_CN);
    bind(
      "node-autoapprove-certificate-rotation",
      "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
      "Group",
      "system:nodes",
    );
  }
}
