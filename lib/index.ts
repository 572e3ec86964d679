/**
 * kubeforge: typed, tested, secure-by-default provisioning of self-managed Kubernetes clusters.
 * Exported by name (no `export *`), so the public API is exactly this list.
 */
export { ClusterApp } from "./app";
export { Cluster, type ClusterProps } from "./cluster";
export { ApiServer, apiServerFlags } from "./control-plane/api-server";
export { ControlPlaneNode } from "./control-plane/control-plane-node";
export { ControllerManager, controllerManagerFlags } from "./control-plane/controller-manager";
export { type KubeconfigOptions, kubeconfig } from "./control-plane/kubeconfig";
export { Scheduler, schedulerConfiguration, schedulerFlags } from "./control-plane/scheduler";
export {
  type ErrorCode,
  formatIssue,
  KubeforgeError,
  type SpecIssue,
  SpecValidationError,
} from "./errors";
export { EtcdMember, etcdFlags } from "./etcd/etcd-member";
export {
  HostNode,
  type HostNodeProps,
  NodeFile,
  type NodeFileContent,
  type NodeFileProps,
} from "./host/node-file";
export { paths } from "./paths";
export {
  type CaId,
  type CertificateAuthorityPlan,
  type CertificatePlan,
  type NodePkiPlan,
  type PkiPlan,
  planPki,
  secretPathsOf,
} from "./pki/plan";
export { auditPolicy } from "./security/audit-policy";
export { authenticationConfiguration } from "./security/authentication-config";
export { encryptionConfiguration } from "./security/encryption-config";
export { ControlPlaneRbac } from "./security/rbac";
export { STRONG_CIPHER_SUITES } from "./security/tls";
export { DEFAULT_CLUSTER_SPEC } from "./spec/defaults";
export { loadSpecFile } from "./spec/load";
export { ClusterModel, type EtcdMember as EtcdMemberInfo } from "./spec/model";
export { type ClusterSpecInput, ClusterSpecSchema, type NodeSpec } from "./spec/schema";
export {
  type ClusterSpec,
  resolveClusterSpec,
  type ValidationResult,
  validateClusterSpec,
} from "./spec/validate";
export { KUBERNETES_RELEASES, type KubernetesRelease, SUPPORTED_MINORS } from "./spec/versions";
export {
  type RenderedCluster,
  type RenderedFile,
  type RenderedNode,
  renderTree,
  type WriteReport,
  writeRendered,
} from "./synth";
