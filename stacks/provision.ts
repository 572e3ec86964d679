import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ClusterApp } from "../lib/app";
import { Cluster } from "../lib/cluster";
import { embeddedKubeconfig } from "../lib/control-plane/kubeconfig";
import { KubeforgeError } from "../lib/errors";
import { toYaml } from "../lib/host/node-file";
import type { CertificatePlan } from "../lib/pki/plan";
import { drainKey, installedArtifacts } from "../lib/plan/impact";
import { upgradeSide } from "../lib/plan/plan";
import { type ClusterState, stateFromRendered } from "../lib/plan/state";
import {
  API_SERVER_PORT,
  type ClusterModel,
  CONTROLLER_MANAGER_PORT,
  ETCD_CLIENT_PORT,
  SCHEDULER_PORT,
} from "../lib/spec/model";
import type { ClusterSpecInput } from "../lib/spec/schema";
import { checkUpgrade } from "../lib/spec/validate-upgrade";
import type { RenderedCluster } from "../lib/synth";
import { BOOTSTRAP_SCRIPT } from "../lib/worker/bootstrap";
import { type Addons, createAddons } from "./addons";
import { type ConnectionConfig, defaultMaxUnavailable, type RolloutConfig, type Transport } from "./config";
import {
  cloudInitWithSecrets,
  type DeliveryPlan,
  deliveryScript,
  hostFiles,
  kubeletSecretDependencies,
  nodeContentHash,
  payload,
  podDependencies,
  secretFiles,
} from "./delivery";
import { createRollout, type NodeDelivery, nodeHealthChecks, type Rollout, rolloutPlan } from "./order";
import { type IssuedPair, type IssuedPki, issuePki, leafKey } from "./pki";

/** Arguments of a provisioned cluster. The spec is a plain value: synthesis needs it at program time. */
export interface ClusterDeploymentArgs {
  /** The cluster spec, as in `kubeforge.yaml`; validated in full. */
  readonly spec: ClusterSpecInput;
  /** Where the spec came from, for error messages. */
  readonly source?: string;
  /**
   * `ssh`: deliver node files over SSH. `cloud-init`: only output user data (and, given a connection,
   * still gate on health and apply the add-ons).
   * @default "ssh"
   */
  readonly transport?: Transport;
  /** SSH access to the nodes; required for the ssh transport. */
  readonly connection?: ConnectionConfig;
  /** @default { maxUnavailable: 10% of the workers (at least 1), healthTimeoutSeconds: 300 } */
  readonly rollout?: Partial<RolloutConfig>;
  /**
   * Apply the synthesized cluster objects through the API server.
   * @default true (when the stack can reach a control-plane node)
   */
  readonly addons?: boolean;
  /**
   * The state the cluster runs now (e.g. `stateFromDist("dist")` of the last applied output). When
   * given, the change is checked like `kubeforge plan` checks it (version-skew policy, etcd quorum)
   * before anything is registered.
   */
  readonly previous?: ClusterState;
}

/** A node as the stack reports it. */
export interface NodeSummary {
  readonly name: string;
  readonly address: string;
  readonly roles: readonly string[];
  /** The node's content hash (its trigger). */
  readonly contentHash: string;
}

/** Everything {@link createCluster} registers and derives. */
export interface ProvisionedCluster {
  readonly cluster: Cluster;
  readonly rendered: RenderedCluster;
  readonly pki: IssuedPki;
  readonly rollout?: Rollout;
  readonly addons?: Addons;
  readonly endpoint: string;
  readonly kubeconfig: pulumi.Output<string>;
  readonly superAdminKubeconfig: pulumi.Output<string>;
  readonly caCertificate: pulumi.Output<string>;
  /** RFC 3339 notAfter of every certificate: `ca/<id>`, `<node>/<id>`, `user/<id>`. */
  readonly certificateExpiry: pulumi.Output<Record<string, string>>;
  readonly nodes: readonly NodeSummary[];
  /** cloud-init user-data by node name, with secrets. */
  readonly userData: pulumi.Output<Record<string, string>>;
}

/** The local port of each control-plane static pod, to see it stop before it is restarted. */
export const STATIC_POD_PORTS: Readonly<Record<string, number>> = {
  etcd: ETCD_CLIENT_PORT,
  "kube-apiserver": API_SERVER_PORT,
  "kube-controller-manager": CONTROLLER_MANAGER_PORT,
  "kube-scheduler": SCHEDULER_PORT,
};

/** Synthesizes the cluster in memory, exactly as `kubeforge synth` would, without writing anything. */
export function synthesize(
  spec: ClusterSpecInput,
  source?: string,
): { cluster: Cluster; rendered: RenderedCluster } {
  // render() never writes; the outdir only satisfies cdk8s.
  const app = new ClusterApp({ outdir: path.join(os.tmpdir(), "kubeforge-pulumi-unused") });
  const cluster = new Cluster(app, "cluster", { spec, source });
  return { cluster, rendered: app.render() };
}

/** A self-contained kubeconfig for a user certificate of the plan. Secret. */
function userKubeconfig(
  model: ClusterModel,
  user: CertificatePlan,
  issued: IssuedPair,
  ca: IssuedPair,
): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.all([ca.certPem, issued.certPem, issued.keyPem]).apply(([caPem, certPem, keyPem]) =>
      toYaml(
        embeddedKubeconfig({
          clusterName: model.spec.name,
          server: model.endpoint.url,
          user: user.commonName,
          certificateAuthorityPem: caPem,
          clientCertificatePem: certPem,
          clientKeyPem: keyPem,
        }),
      ),
    ),
  );
}

/**
 * Provisions a cluster: synthesizes it, issues its PKI into state, delivers every node in rollout
 * order with health gates, applies the add-ons, and derives the outputs. Children are parented to
 * `parent`; resource names start with `name`.
 */
export function createCluster(
  name: string,
  args: ClusterDeploymentArgs,
  parent: pulumi.Resource,
): ProvisionedCluster {
  const { cluster, rendered } = synthesize(args.spec, args.source);
  if (args.previous) {
    const next = stateFromRendered(rendered, args.source ?? "the stack's spec");
    checkUpgrade(
      upgradeSide(args.previous),
      upgradeSide(next),
      `the change ${args.previous.source} → ${next.source}`,
    );
  }
  const { model, pki: plan } = cluster;
  const transport = args.transport ?? "ssh";
  if (transport === "ssh" && !args.connection) {
    throw new KubeforgeError(
      "REQUIRED",
      "connection",
      "'connection' (missing) must be set for the ssh transport. Pass { user, privateKey }, or use transport: \"cloud-init\". [REQUIRED]",
    );
  }
  const rolloutConfig: Required<RolloutConfig> = {
    maxUnavailable: args.rollout?.maxUnavailable ?? defaultMaxUnavailable(model.workerNodes.length),
    healthTimeoutSeconds: args.rollout?.healthTimeoutSeconds ?? 300,
  };
  const pki = issuePki(name, plan, parent);
  const encryption = { provider: model.spec.security.encryptionAtRest.provider };

  const deliveries = new Map<string, NodeDelivery>();
  const userData: Record<string, pulumi.Output<string>> = {};
  const nodes: NodeSummary[] = [];
  for (const node of rendered.nodes) {
    const spec = model.nodes.find((n) => n.name === node.name);
    const nodePlan = plan.nodes.find((n) => n.node === node.name);
    if (!spec || !nodePlan) throw new Error(`internal: rendered node ${node.name} is not in the model`);
    const secrets = secretFiles(node, plan, nodePlan, pki, encryption);
    const hash = nodeContentHash(node);
    const bootstrap = node.files.find((f) => f.path === BOOTSTRAP_SCRIPT);
    // The bootstrap writes every other node file itself (and knows what to restart); without one, send them all.
    const plain = (bootstrap ? [bootstrap] : hostFiles(node)).map((f) => ({ ...f }));
    const deliveryPlan: DeliveryPlan = {
      node: node.name,
      podSecrets: podDependencies(node),
      kubeletSecrets: kubeletSecretDependencies(node),
      podPorts: STATIC_POD_PORTS,
      bootstrap: bootstrap !== undefined,
      checks: nodeHealthChecks(model, spec),
      gateOnCreate: model.etcdMemberOf(node.name) === undefined,
      healthTimeoutSeconds: rolloutConfig.healthTimeoutSeconds,
      generation: hash,
    };
    deliveries.set(node.name, {
      node: spec,
      hash,
      script: deliveryScript(deliveryPlan),
      stdin: pulumi.secret(secrets.apply((s) => payload([...s, ...plain]))),
      drainKey: bootstrap ? drainKey(bootstrap.content) : undefined,
      versions: bootstrap
        ? {
            kubelet: installedArtifacts(bootstrap.content).kubelet,
            containerd: installedArtifacts(bootstrap.content).containerd,
          }
        : undefined,
    });
    userData[node.name] = cloudInitWithSecrets(node, secrets);
    nodes.push({ name: node.name, address: spec.address, roles: [...spec.roles], contentHash: hash });
  }

  const connection = args.connection;
  const rollout = connection
    ? createRollout(
        {
          prefix: name,
          model,
          plan: rolloutPlan(model, rolloutConfig.maxUnavailable),
          connection,
          rollout: rolloutConfig,
          deliveries: transport === "ssh" ? deliveries : new Map(),
        },
        parent,
      )
    : undefined;

  const ca = pki.authorities.get("kubernetes-ca");
  const adminPlan = plan.users.find((u) => u.id === "admin");
  const superPlan = plan.users.find((u) => u.id === "super-admin");
  const admin = pki.users.get("admin");
  const superAdmin = pki.users.get("super-admin");
  if (!ca || !adminPlan || !superPlan || !admin || !superAdmin) {
    throw new Error("internal: the PKI plan has no cluster CA or admin users");
  }
  const kubeconfig = userKubeconfig(model, adminPlan, admin, ca);
  const addons =
    rollout && args.addons !== false
      ? createAddons(name, kubeconfig, rendered.clusterObjects, rollout.ready, parent)
      : undefined;

  const expiry: Record<string, pulumi.Output<string>> = {};
  for (const [id, issued] of pki.authorities) expiry[`ca/${id}`] = issued.notAfter;
  for (const nodePlan of plan.nodes) {
    for (const cert of nodePlan.certificates) {
      const issued = pki.leaves.get(leafKey(nodePlan.node, cert.id));
      if (issued) expiry[leafKey(nodePlan.node, cert.id)] = issued.notAfter;
    }
  }
  for (const [id, issued] of pki.users) expiry[`user/${id}`] = issued.notAfter;

  return {
    cluster,
    rendered,
    pki,
    rollout,
    addons,
    endpoint: model.endpoint.url,
    kubeconfig,
    superAdminKubeconfig: userKubeconfig(model, superPlan, superAdmin, ca),
    caCertificate: ca.certPem,
    certificateExpiry: pulumi.all(expiry),
    nodes,
    userData: pulumi.secret(pulumi.all(userData)),
  };
}
