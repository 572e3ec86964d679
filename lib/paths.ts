/**
 * Host paths shared by manifests, node files, the PKI plan and the PKI writer. kubeadm's layout,
 * so that operators find files where they expect them.
 */
export const KUBERNETES_DIR = "/etc/kubernetes";
export const PKI_DIR = `${KUBERNETES_DIR}/pki`;
export const ETCD_PKI_DIR = `${PKI_DIR}/etcd`;
export const MANIFESTS_DIR = `${KUBERNETES_DIR}/manifests`;
export const KUBEFORGE_CONFIG_DIR = `${KUBERNETES_DIR}/kubeforge`;
export const KUBELET_DIR = "/var/lib/kubelet";
export const KUBELET_PKI_DIR = `${KUBELET_DIR}/pki`;
export const AUDIT_LOG_DIR = "/var/log/kubernetes/audit";

export const paths = {
  caCert: `${PKI_DIR}/ca.crt`,
  caKey: `${PKI_DIR}/ca.key`,
  apiServerCert: `${PKI_DIR}/apiserver.crt`,
  apiServerKey: `${PKI_DIR}/apiserver.key`,
  apiServerKubeletClientCert: `${PKI_DIR}/apiserver-kubelet-client.crt`,
  apiServerKubeletClientKey: `${PKI_DIR}/apiserver-kubelet-client.key`,
  apiServerEtcdClientCert: `${PKI_DIR}/apiserver-etcd-client.crt`,
  apiServerEtcdClientKey: `${PKI_DIR}/apiserver-etcd-client.key`,
  frontProxyCaCert: `${PKI_DIR}/front-proxy-ca.crt`,
  frontProxyCaKey: `${PKI_DIR}/front-proxy-ca.key`,
  frontProxyClientCert: `${PKI_DIR}/front-proxy-client.crt`,
  frontProxyClientKey: `${PKI_DIR}/front-proxy-client.key`,
  serviceAccountKey: `${PKI_DIR}/sa.key`,
  serviceAccountPub: `${PKI_DIR}/sa.pub`,
  controllerManagerClientCert: `${PKI_DIR}/controller-manager-client.crt`,
  controllerManagerClientKey: `${PKI_DIR}/controller-manager-client.key`,
  schedulerClientCert: `${PKI_DIR}/scheduler-client.crt`,
  schedulerClientKey: `${PKI_DIR}/scheduler-client.key`,
  adminClientCert: `${PKI_DIR}/admin-client.crt`,
  adminClientKey: `${PKI_DIR}/admin-client.key`,
  etcdCaCert: `${ETCD_PKI_DIR}/ca.crt`,
  etcdCaKey: `${ETCD_PKI_DIR}/ca.key`,
  etcdServerCert: `${ETCD_PKI_DIR}/server.crt`,
  etcdServerKey: `${ETCD_PKI_DIR}/server.key`,
  etcdPeerCert: `${ETCD_PKI_DIR}/peer.crt`,
  etcdPeerKey: `${ETCD_PKI_DIR}/peer.key`,
  etcdHealthcheckClientCert: `${ETCD_PKI_DIR}/healthcheck-client.crt`,
  etcdHealthcheckClientKey: `${ETCD_PKI_DIR}/healthcheck-client.key`,
  kubeletClientCurrent: `${KUBELET_PKI_DIR}/kubelet-client-current.pem`,
  kubeletServingCert: `${KUBELET_PKI_DIR}/kubelet.crt`,
  kubeletServingKey: `${KUBELET_PKI_DIR}/kubelet.key`,
  adminKubeconfig: `${KUBERNETES_DIR}/admin.conf`,
  superAdminKubeconfig: `${KUBERNETES_DIR}/super-admin.conf`,
  controllerManagerKubeconfig: `${KUBERNETES_DIR}/controller-manager.conf`,
  schedulerKubeconfig: `${KUBERNETES_DIR}/scheduler.conf`,
  kubeletKubeconfig: `${KUBERNETES_DIR}/kubelet.conf`,
  schedulerConfig: `${KUBEFORGE_CONFIG_DIR}/kube-scheduler.yaml`,
  auditPolicy: `${KUBEFORGE_CONFIG_DIR}/audit-policy.yaml`,
  encryptionConfig: `${KUBEFORGE_CONFIG_DIR}/encryption-config.yaml`,
  authenticationConfig: `${KUBEFORGE_CONFIG_DIR}/authentication-config.yaml`,
} as const;
