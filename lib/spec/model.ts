import { paths } from "../paths";
import { mustParseCidr, nthAddress } from "../private/cidr";
import type { NodeSpec } from "./schema";
import type { ClusterSpec } from "./validate";

/** The client and peer ports of etcd. */
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** etcd serves plain-HTTP metrics on loopback only, as kubeadm does. */
export const ETCD_METRICS_PORT = 2381;
/** Every member's loopback client listener and its loopback-only metrics listener. */
export const ETCD_LOCAL_CLIENT_URL = `https://127.0.0.1:${ETCD_CLIENT_PORT}`;
export const ETCD_LOCAL_METRICS_URL = `http://127.0.0.1:${ETCD_METRICS_PORT}`;
export const API_SERVER_PORT = 6443;
export const CONTROLLER_MANAGER_PORT = 10257;
export const SCHEDULER_PORT = 10259;
/** The kubelet's authenticated HTTPS port (API server → kubelet, metrics). */
export const KUBELET_PORT = 10250;

/** An etcd member derived from a node. */
export interface EtcdMember {
  readonly name: string;
  readonly address: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
}

/**
 * Every value that two components must agree on, derived once from the validated spec
 * (design principle 1). Constructs read from here and never recompute.
 */
export class ClusterModel {
  readonly spec: ClusterSpec;
  readonly nodes: readonly NodeSpec[];
  readonly controlPlaneNodes: readonly NodeSpec[];
  readonly workerNodes: readonly NodeSpec[];
  readonly etcdMembers: readonly EtcdMember[];
  /** `name=https://ip:2380,…` in member order, for `--initial-cluster`. */
  readonly etcdInitialCluster: string;
  /** The API endpoint clients use: the spec's endpoint, or the only control-plane node. */
  readonly endpoint: { readonly host: string; readonly port: number; readonly url: string };
  /** The `kubernetes` Service ClusterIP: the 1st address of the service CIDR. */
  readonly apiServerServiceIp: string;
  /** The cluster DNS Service ClusterIP: the 10th address of the service CIDR. */
  readonly dnsServiceIp: string;
  readonly images: {
    readonly apiServer: string;
    readonly controllerManager: string;
    readonly scheduler: string;
    readonly kubeProxy: string;
    readonly etcd: string;
    readonly pause: string;
    readonly coredns: string;
  };

  constructor(spec: ClusterSpec) {
    this.spec = spec;
    this.nodes = spec.nodes;
    this.controlPlaneNodes = spec.nodes.filter((n) => n.roles.includes("control-plane"));
    this.workerNodes = spec.nodes.filter((n) => n.roles.includes("worker"));
    const etcdNodes =
      spec.etcd.topology === "stacked"
        ? this.controlPlaneNodes
        : spec.nodes.filter((n) => n.roles.includes("etcd"));
    this.etcdMembers = etcdNodes.map((n) => ({
      name: n.name,
      address: n.address,
      clientUrl: `https://${n.address}:${ETCD_CLIENT_PORT}`,
      peerUrl: `https://${n.address}:${ETCD_PEER_PORT}`,
    }));
    this.etcdInitialCluster = this.etcdMembers.map((m) => `${m.name}=${m.peerUrl}`).join(",");

    const first = this.controlPlaneNodes[0];
    if (!first) throw new Error("internal: a validated spec has a control-plane node");
    const host = spec.controlPlane.endpoint?.host ?? first.address;
    const port = spec.controlPlane.endpoint?.port ?? API_SERVER_PORT;
    this.endpoint = { host, port, url: `https://${host}:${port}` };

    const serviceCidr = mustParseCidr(spec.networking.serviceCIDR);
    this.apiServerServiceIp = nthAddress(serviceCidr, 1);
    this.dnsServiceIp = nthAddress(serviceCidr, 10);

    const registry = spec.images.registry.replace(/\/+$/, "");
    const k8sTag = `v${spec.kubernetesVersion}`;
    this.images = {
      apiServer: `${registry}/kube-apiserver:${k8sTag}`,
      controllerManager: `${registry}/kube-controller-manager:${k8sTag}`,
      scheduler: `${registry}/kube-scheduler:${k8sTag}`,
      kubeProxy: `${registry}/kube-proxy:${k8sTag}`,
      etcd: `${registry}/etcd:${spec.etcdVersion}`,
      pause: `${registry}/pause:${spec.release.pause}`,
      coredns: `${registry}/coredns/coredns:${spec.release.coredns}`,
    };
  }

  /** The etcd member on a node, if it is one. */
  etcdMemberOf(nodeName: string): EtcdMember | undefined {
    return this.etcdMembers.find((m) => m.name === nodeName);
  }

  /**
   * The etcd client URLs an API server on this node talks to: its local member first when stacked
   * (kubeadm's choice, which keeps reads local), then every other member so it survives a local etcd restart.
   */
  etcdServersFor(node: NodeSpec): string[] {
    const local = this.etcdMemberOf(node.name);
    const rest = this.etcdMembers.filter((m) => m.name !== node.name).map((m) => m.clientUrl);
    return local ? [ETCD_LOCAL_CLIENT_URL, ...rest] : rest;
  }

  /** DNS names of the `kubernetes` Service, as API server certificates must carry them. */
  get kubernetesServiceNames(): string[] {
    const domain = this.spec.networking.dnsDomain;
    return ["kubernetes", "kubernetes.default", "kubernetes.default.svc", `kubernetes.default.svc.${domain}`];
  }

  /** The service-account issuer: the in-cluster URL of the API server, as kubeadm sets it. */
  get serviceAccountIssuer(): string {
    return `https://kubernetes.default.svc.${this.spec.networking.dnsDomain}`;
  }

  /** The kubeconfig paths and client certificates of control-plane components. */
  get files(): typeof paths {
    return paths;
  }
}
