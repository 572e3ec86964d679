import type { Construct } from "constructs";
import { PKI_DIR, paths } from "../paths";
import { type ComponentProps, StaticPodComponent } from "../private/component";
import { CA_BUNDLE_MOUNTS } from "../private/static-pod";
import { kubernetesTlsFlags } from "../security/tls";
import { type ClusterModel, CONTROLLER_MANAGER_PORT } from "../spec/model";

/**
 * kube-controller-manager flags: kubeadm's baseline (node CIDR allocation from the pod network,
 * per-controller service-account credentials, cluster signing for kubelet certificate rotation),
 * hardened with profiling off, a loopback bind, strong TLS and a terminated-pod GC threshold.
 * @see https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/
 */
export function controllerManagerFlags(model: ClusterModel): Record<string, string> {
  const { spec } = model;
  const kubeconfig = paths.controllerManagerKubeconfig;
  return {
    "allocate-node-cidrs": "true",
    "authentication-kubeconfig": kubeconfig,
    "authorization-kubeconfig": kubeconfig,
    "bind-address": "127.0.0.1",
    "client-ca-file": paths.caCert,
    "cluster-cidr": spec.networking.podCIDR,
    "cluster-name": spec.name,
    "cluster-signing-cert-file": paths.caCert,
    "cluster-signing-key-file": paths.caKey,
    controllers: "*",
    kubeconfig,
    "leader-elect": "true",
    "node-cidr-mask-size": String(spec.networking.nodeCIDRMaskSize),
    profiling: String(spec.security.profiling),
    "requestheader-client-ca-file": paths.frontProxyCaCert,
    "root-ca-file": paths.caCert,
    "secure-port": String(CONTROLLER_MANAGER_PORT),
    "service-account-private-key-file": paths.serviceAccountKey,
    "service-cluster-ip-range": spec.networking.serviceCIDR,
    "terminated-pod-gc-threshold": "1000",
    "use-service-account-credentials": "true",
    ...kubernetesTlsFlags(),
  };
}

/** kube-controller-manager as a static pod. */
export class ControllerManager extends StaticPodComponent {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    const { model } = props;
    super(scope, id, {
      name: "kube-controller-manager",
      image: model.images.controllerManager,
      command: "kube-controller-manager",
      flags: controllerManagerFlags(model),
      mounts: [
        { name: "k8s-certs", hostPath: PKI_DIR, readOnly: true, type: "Directory" },
        { name: "kubeconfig", hostPath: paths.controllerManagerKubeconfig, readOnly: true, type: "File" },
        ...CA_BUNDLE_MOUNTS,
      ],
      probes: {
        host: "127.0.0.1",
        port: CONTROLLER_MANAGER_PORT,
        scheme: "HTTPS",
        liveness: "/healthz",
        startup: "/healthz",
      },
      cpuRequest: "200m",
    });
  }
}
