import { createHash } from "node:crypto";
import { k8s } from "cdk8s-plus-27";
import { Construct } from "constructs";
import { kubeconfig } from "../control-plane/kubeconfig";
import { NodeFile } from "../host/node-file";
import { KUBERNETES_DIR, MANIFESTS_DIR, paths } from "../paths";
import { API_SERVER_PORT, type ClusterModel } from "../spec/model";
import type { NodeSpec } from "../spec/schema";

/** kube-vip, pinned (the release the kube-vip Helm chart ships as appVersion). */
export const KUBE_VIP_IMAGE = "ghcr.io/kube-vip/kube-vip:v1.0.1";
/** haproxy and keepalived images of the kubeadm HA guide's static-pod setup, pinned by tag. */
export const HAPROXY_IMAGE = "docker.io/library/haproxy:2.8.5-alpine";
export const KEEPALIVED_IMAGE = "docker.io/osixia/keepalived:2.0.20";

/** The kubeconfig kube-vip uses for leader election. */
export const KUBE_VIP_KUBECONFIG = `${KUBERNETES_DIR}/kube-vip.conf`;
export const HAPROXY_CONFIG = "/etc/kubeforge/haproxy/haproxy.cfg";
export const KEEPALIVED_CONFIG = "/etc/kubeforge/keepalived/keepalived.conf";
export const KEEPALIVED_CHECK = "/etc/kubeforge/keepalived/check-apiserver.sh";

/** True when the cluster needs an HA endpoint kubeforge runs itself (kube-vip or haproxy+keepalived). */
export function needsManagedEndpoint(model: ClusterModel): boolean {
  return model.controlPlaneNodes.length > 1 && model.spec.controlPlane.loadBalancer.provider !== "external";
}

/**
 * The kube-vip static pod of one control-plane node: ARP mode, the endpoint address as VIP on the
 * spec's interface, control-plane load balancing off (clients reach the API servers on 6443 through
 * the VIP), leader election through a Lease.
 *
 * kube-vip's documented kubeadm setup mounts admin.conf (super-admin.conf during `kubeadm init` on
 * 1.29+, because admin.conf has no rights before kubeadm binds them). kubeforge keeps the
 * super-admin credential off every node, so kube-vip gets its own kubeconfig with the admin client
 * certificate that talks to the node's own API server (not the VIP, which does not exist yet), mounted
 * where kube-vip looks for admin.conf. It gains rights once the cluster RBAC (kubeforge:cluster-admins)
 * is applied; until then it retries and the apply step reaches the API servers on their node addresses.
 * @see https://kube-vip.io/docs/installation/static/
 */
export function kubeVipManifest(model: ClusterModel): Record<string, unknown> {
  const lb = model.spec.controlPlane.loadBalancer;
  const env: Record<string, string> = {
    address: model.endpoint.host,
    cp_enable: "true",
    cp_namespace: "kube-system",
    port: String(API_SERVER_PORT),
    prometheus_server: "127.0.0.1:2112",
    vip_arp: "true",
    vip_interface: lb.interface,
    vip_leaderelection: "true",
    vip_leaseduration: "5",
    vip_leasename: "plndr-cp-lock",
    vip_renewdeadline: "3",
    vip_retryperiod: "1",
    vip_subnet: "32",
  };
  return k8s.KubePod.manifest({
    metadata: {
      name: "kube-vip",
      namespace: "kube-system",
      labels: { component: "kube-vip", tier: "control-plane" },
    },
    spec: {
      hostNetwork: true,
      priorityClassName: "system-node-critical",
      containers: [
        {
          name: "kube-vip",
          image: KUBE_VIP_IMAGE,
          imagePullPolicy: "IfNotPresent",
          args: ["manager"],
          env: Object.keys(env)
            .sort()
            .map((name) => ({ name, value: env[name] })),
          securityContext: { capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] } },
          volumeMounts: [{ name: "kubeconfig", mountPath: paths.adminKubeconfig, readOnly: true }],
        },
      ],
      volumes: [{ name: "kubeconfig", hostPath: { path: KUBE_VIP_KUBECONFIG, type: "File" } }],
    },
  }) as Record<string, unknown>;
}

/** haproxy in TCP mode on the endpoint port, balancing across every API server's /readyz. */
export function haproxyConfig(model: ClusterModel): string {
  const servers = model.controlPlaneNodes.map(
    (n) =>
      `    server ${n.name} ${n.address}:${API_SERVER_PORT} check check-ssl verify none inter 3s fall 3 rise 2`,
  );
  return [
    "# Managed by kubeforge.",
    "global",
    "    log stdout format raw local0",
    "    maxconn 4000",
    "",
    "defaults",
    "    mode tcp",
    "    log global",
    "    option tcplog",
    "    timeout connect 5s",
    "    timeout client 1h",
    "    timeout server 1h",
    "",
    "frontend kube-apiserver",
    `    bind *:${model.endpoint.port}`,
    "    default_backend kube-apiserver",
    "",
    "backend kube-apiserver",
    "    option httpchk GET /readyz",
    "    http-check expect status 200",
    "    balance roundrobin",
    ...servers,
    "",
  ].join("\n");
}

/** A VRRP router id from the cluster name, so clusters on one segment differ without configuration. */
export function virtualRouterId(clusterName: string): number {
  const digest = createHash("sha256").update(clusterName).digest();
  return ((digest[0] ?? 0) % 254) + 1;
}

/**
 * keepalived for one control-plane node: every node starts as BACKUP with a priority by its order,
 * the VIP follows the healthiest one, and a node whose local haproxy stops answering steps down.
 * VRRP authentication is left off: it is a shared secret, which kubeforge never synthesizes.
 */
export function keepalivedConfig(model: ClusterModel, node: NodeSpec): string {
  const index = model.controlPlaneNodes.findIndex((n) => n.name === node.name);
  const peers = model.controlPlaneNodes
    .filter((n) => n.name !== node.name)
    .map((n) => `        ${n.address}`);
  return [
    "# Managed by kubeforge.",
    "global_defs {",
    `    router_id ${node.name}`,
    "    enable_script_security",
    "    script_user root",
    "}",
    "vrrp_script check_apiserver {",
    `    script "${KEEPALIVED_CHECK}"`,
    "    interval 3",
    "    weight -10",
    "    fall 3",
    "    rise 2",
    "}",
    "vrrp_instance kube_apiserver {",
    "    state BACKUP",
    `    interface ${model.spec.controlPlane.loadBalancer.interface}`,
    `    virtual_router_id ${virtualRouterId(model.spec.name)}`,
    `    priority ${100 - index}`,
    "    advert_int 1",
    `    unicast_src_ip ${node.address}`,
    "    unicast_peer {",
    ...peers,
    "    }",
    "    virtual_ipaddress {",
    `        ${model.endpoint.host}/32`,
    "    }",
    "    track_script {",
    "        check_apiserver",
    "    }",
    "}",
    "",
  ].join("\n");
}

/** The keepalived health check: the local haproxy must answer /readyz on the endpoint port. */
export function keepalivedCheckScript(model: ClusterModel): string {
  return [
    "#!/bin/sh",
    "# Managed by kubeforge: keepalived lowers this node's priority when the check fails.",
    "set -eu",
    `curl -fsk --max-time 2 -o /dev/null "https://127.0.0.1:${model.endpoint.port}/readyz"`,
    "",
  ].join("\n");
}

function hostPod(
  name: string,
  image: string,
  capabilities: string[],
  mounts: { name: string; hostPath: string; mountPath: string }[],
): Record<string, unknown> {
  return k8s.KubePod.manifest({
    metadata: { name, namespace: "kube-system", labels: { component: name, tier: "control-plane" } },
    spec: {
      hostNetwork: true,
      priorityClassName: "system-node-critical",
      containers: [
        {
          name,
          image,
          imagePullPolicy: "IfNotPresent",
          securityContext: { capabilities: { add: capabilities, drop: ["ALL"] } },
          volumeMounts: mounts.map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: true })),
        },
      ],
      volumes: mounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: "File" } })),
    },
  }) as Record<string, unknown>;
}

/** Props of {@link HaEndpoint}. */
export interface HaEndpointProps {
  readonly model: ClusterModel;
  /** A control-plane node. */
  readonly node: NodeSpec;
}

/**
 * The HA endpoint's share of one control-plane node: kube-vip (the default) or haproxy + keepalived
 * as static pods with their configuration; nothing for `external`.
 * @see https://github.com/kubernetes/kubeadm/blob/main/docs/ha-considerations.md
 */
export class HaEndpoint extends Construct {
  constructor(scope: Construct, id: string, props: HaEndpointProps) {
    super(scope, id);
    const { model, node } = props;
    const provider = model.spec.controlPlane.loadBalancer.provider;
    if (provider === "kube-vip") {
      NodeFile.yaml(this, "kube-vip", `${MANIFESTS_DIR}/kube-vip.yaml`, kubeVipManifest(model), 0o600);
      NodeFile.yaml(
        this,
        "kube-vip-kubeconfig",
        KUBE_VIP_KUBECONFIG,
        kubeconfig({
          clusterName: model.spec.name,
          server: `https://${node.address}:${API_SERVER_PORT}`,
          user: "kube-vip",
          clientCertificate: paths.adminClientCert,
          clientKey: paths.adminClientKey,
        }),
        0o600,
      );
    } else if (provider === "haproxy-keepalived") {
      NodeFile.text(this, "haproxy-config", HAPROXY_CONFIG, haproxyConfig(model), 0o644);
      NodeFile.text(this, "keepalived-config", KEEPALIVED_CONFIG, keepalivedConfig(model, node), 0o644);
      NodeFile.text(this, "keepalived-check", KEEPALIVED_CHECK, keepalivedCheckScript(model), 0o700);
      NodeFile.yaml(
        this,
        "haproxy",
        `${MANIFESTS_DIR}/haproxy.yaml`,
        hostPod(
          "haproxy",
          HAPROXY_IMAGE,
          ["NET_BIND_SERVICE"],
          [{ name: "config", hostPath: HAPROXY_CONFIG, mountPath: "/usr/local/etc/haproxy/haproxy.cfg" }],
        ),
        0o600,
      );
      NodeFile.yaml(
        this,
        "keepalived",
        `${MANIFESTS_DIR}/keepalived.yaml`,
        hostPod(
          "keepalived",
          KEEPALIVED_IMAGE,
          ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"],
          [
            {
              name: "config",
              hostPath: KEEPALIVED_CONFIG,
              mountPath: "/usr/local/etc/keepalived/keepalived.conf",
            },
            { name: "check", hostPath: KEEPALIVED_CHECK, mountPath: KEEPALIVED_CHECK },
          ],
        ),
        0o600,
      );
    }
  }
}
