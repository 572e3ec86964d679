/**
 * kubeforge: typed, tested, secure-by-default provisioning of self-managed Kubernetes clusters.
 * Exported by name (no `export *`), so the public API is exactly this list.
 */
export { ClusterApp } from "./app";
export {
  type AuditLevel,
  type AuditRequest,
  auditLevelFor,
  bodyLoggingRule,
} from "./audit/audit-policy-rules";
export type { CheckStatus, Verdict } from "./audit/check";
export { OPT_OUTS, type OptOut, securityWarnings } from "./audit/opt-outs";
export { formatReport, reportJson, summaryLine } from "./audit/report";
export { type AuditReport, BENCHMARK, CHECKS, type CheckResult, runAudit } from "./audit/runner";
export { type AuditTree, loadTree, treeFromRendered } from "./audit/tree";
export { Cluster, type ClusterProps } from "./cluster";
export { ApiServer, apiServerFlags } from "./control-plane/api-server";
export { ControlPlaneNode } from "./control-plane/control-plane-node";
export { ControllerManager, controllerManagerFlags } from "./control-plane/controller-manager";
export {
  type EmbeddedKubeconfigOptions,
  embeddedKubeconfig,
  type KubeconfigOptions,
  kubeconfig,
} from "./control-plane/kubeconfig";
export { Scheduler, schedulerConfiguration, schedulerFlags } from "./control-plane/scheduler";
export {
  type ErrorCode,
  formatIssue,
  KubeforgeError,
  type SpecIssue,
  SpecValidationError,
} from "./errors";
export { EtcdBackup, type EtcdBackupProps, etcdBackupScript } from "./etcd/backup";
export { EtcdMember, etcdFlags } from "./etcd/etcd-member";
export {
  EtcdRestore,
  type EtcdRestoreProps,
  etcdRestoreScript,
  formatRestoreProcedure,
  type RestoreStep,
  restoreProcedure,
} from "./etcd/restore";
export {
  HostNode,
  type HostNodeProps,
  NodeFile,
  type NodeFileContent,
  type NodeFileProps,
} from "./host/node-file";
export { Monitoring, type MonitoringProps } from "./monitoring/monitoring";
export { alertRuleGroups, scrapeConfigs } from "./monitoring/prometheus";
export { ClusterAddons, type ClusterAddonsProps } from "./networking/addons";
export {
  CALICO_CRDS,
  CALICO_IMAGES,
  CALICO_VERSION,
  Calico,
  type CalicoEncapsulation,
  type CalicoProps,
} from "./networking/calico";
export {
  CloudControllerManager,
  type CloudControllerManagerProps,
  cloudControllerManagerArgs,
} from "./networking/cloud-controller-manager";
export { addCni, type CniPlugin, type CniProps } from "./networking/cni";
export { CoreDns, type CoreDnsProps, corefile } from "./networking/coredns";
export { DASHBOARD_VIEWER_RULES, Dashboard } from "./networking/dashboard";
export { FLANNEL_IMAGES, Flannel, type FlannelProps, flannelNetConf } from "./networking/flannel";
export { HaEndpoint, type HaEndpointProps, KUBE_VIP_IMAGE } from "./networking/ha-endpoint";
export {
  DEFAULT_SYSCTLS,
  HostNetworking,
  type HostNetworkingProps,
  KUBELET_KERNEL_DEFAULTS,
  sysctlProfile,
} from "./networking/host-networking";
export {
  KubeProxy,
  type KubeProxyProps,
  kubeProxyConfiguration,
  kubeProxyKubeconfig,
} from "./networking/kube-proxy";
export { MetricsServer, type MetricsServerProps, metricsServerArgs } from "./networking/metrics-server";
export { paths } from "./paths";
export {
  type CertificateCheck,
  type CheckProblem,
  checkPki,
  formatPkiCheck,
  type PkiCheckResult,
} from "./pki/check";
export {
  CertificateAuthority,
  type CertificateProblem,
  generateEncryptionKey,
  generateServiceAccountKeys,
  inspectCertificate,
} from "./pki/generate";
export {
  type CaId,
  type CertificateAuthorityPlan,
  type CertificatePlan,
  type NodePkiPlan,
  type PkiPlan,
  planPki,
  secretPathsOf,
} from "./pki/plan";
export {
  generatePki,
  type PkiReport,
  type PkiSource,
  type PkiWriteOptions,
  pkiLayout,
  renewPki,
} from "./pki/store";
export { formatPlan } from "./plan/format";
export {
  classifyFile,
  drainKey,
  type FileImpact,
  IMPACT_ORDER,
  IMPACT_RULES,
  type ImpactClass,
  type ImpactRule,
  staticPodReaders,
  worstImpact,
} from "./plan/impact";
export {
  type ClusterPlan,
  type NodePlan,
  type NodeStatus,
  type ObjectChanges,
  type PlanOptions,
  planChanges,
  type RolloutPhase,
  type RolloutStep,
  rolloutSteps,
} from "./plan/plan";
export {
  type ClusterState,
  type StateNode,
  stateFromDist,
  stateFromGit,
  stateFromRendered,
  stateFromSpec,
} from "./plan/state";
export { auditPolicy } from "./security/audit-policy";
export { authenticationConfiguration } from "./security/authentication-config";
export { encryptionConfiguration } from "./security/encryption-config";
export { DefaultDenyNetworkPolicies, type DefaultDenyNetworkPoliciesProps } from "./security/network-policy";
export {
  ADMISSION_CONFIG_PATH,
  admissionConfiguration,
  type PodSecurityLevel,
  type PodSecuritySettings,
  podSecurityLabels,
} from "./security/pod-security";
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
export { checkUpgrade, type UpgradeSide, validateUpgrade } from "./spec/validate-upgrade";
export { KUBERNETES_RELEASES, type KubernetesRelease, SUPPORTED_MINORS } from "./spec/versions";
export {
  type RenderedCluster,
  type RenderedFile,
  type RenderedNode,
  renderTree,
  type WriteReport,
  writeRendered,
} from "./synth";
export { BootstrapScript, bootstrapScript } from "./worker/bootstrap";
export { KUBERNETES_BINARY_CHECKSUMS, pinnedKubernetesVersions } from "./worker/checksums";
export { CloudInitUserData, cloudInitUserData } from "./worker/cloud-init";
export { Containerd, type ContainerdProps, containerdConfig } from "./worker/containerd";
export {
  Kubelet,
  type KubeletProps,
  kubeletConfiguration,
  kubeletFlags,
  nodeLabels,
  nodeTaints,
} from "./worker/kubelet";
export { NodeRuntime } from "./worker/node-runtime";
