// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, whose ${…} expansions are intended.
import { remote, type types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { paths } from "../lib/paths";
import {
  drainScript,
  membershipInput,
  membershipScript,
  resetScript,
  uncordonScript,
} from "../lib/plan/node-ops";
import { shellQuote } from "../lib/private/format";
import {
  API_SERVER_PORT,
  type ClusterModel,
  CONTROLLER_MANAGER_PORT,
  ETCD_LOCAL_CLIENT_URL,
  SCHEDULER_PORT,
} from "../lib/spec/model";
import type { NodeSpec } from "../lib/spec/schema";
import type { ConnectionConfig, RolloutConfig } from "./config";
import { type HealthCheck, remoteCommand } from "./delivery";

/**
 * The order `pulumi up` applies nodes in, and the health gates between them: etcd members, then
 * API servers (with controller-manager and scheduler on the same nodes, checked after the API
 * server), one node at a time; then workers in batches; add-ons last. Pulumi runs a resource only
 * after everything it depends on, so the order is a chain of `dependsOn`.
 */

/** Node names in rollout order. */
export interface RolloutPlan {
  /** etcd members on their own nodes (external topology), one at a time. */
  readonly etcd: readonly string[];
  /** Control-plane nodes (with their stacked etcd member, if any), one at a time. */
  readonly controlPlane: readonly string[];
  /** Every other node, in batches of at most `maxUnavailable`. */
  readonly workerBatches: readonly (readonly string[])[];
}

/** Splits the cluster's nodes into rollout phases, in spec order within each phase. */
export function rolloutPlan(model: ClusterModel, maxUnavailable: number): RolloutPlan {
  const controlPlane = model.controlPlaneNodes.map((n) => n.name);
  const etcd = model.etcdMembers.map((m) => m.name).filter((n) => !controlPlane.includes(n));
  const rest = model.nodes.map((n) => n.name).filter((n) => !controlPlane.includes(n) && !etcd.includes(n));
  const workerBatches: string[][] = [];
  for (let i = 0; i < rest.length; i += maxUnavailable) workerBatches.push(rest.slice(i, i + maxUnavailable));
  return { etcd, controlPlane, workerBatches };
}

const curl = "curl -fsS --max-time 5";

/** etcd reports healthy on /health only while its member sees a leader, i.e. the cluster has quorum. */
function etcdHealth(): HealthCheck {
  return {
    description: "etcd member",
    command:
      `${curl} --cacert ${paths.etcdCaCert} --cert ${paths.etcdHealthcheckClientCert} ` +
      `--key ${paths.etcdHealthcheckClientKey} ${ETCD_LOCAL_CLIENT_URL}/health | grep -q '"health":"true"'`,
  };
}

/** The API server's /readyz, authenticated with the node's admin client certificate. */
export function apiServerReadyz(address: string): HealthCheck {
  return {
    description: `API server ${address} /readyz`,
    command:
      `${curl} --cacert ${paths.caCert} --cert ${paths.adminClientCert} --key ${paths.adminClientKey} ` +
      `https://${address}:${API_SERVER_PORT}/readyz | grep -qx ok`,
  };
}

/** The checks a node passes after its files changed, before the next node starts. */
export function nodeHealthChecks(model: ClusterModel, node: NodeSpec): HealthCheck[] {
  const checks: HealthCheck[] = [];
  if (model.etcdMemberOf(node.name)) checks.push(etcdHealth());
  if (node.roles.includes("control-plane")) {
    checks.push(apiServerReadyz(node.address));
    // Both bind to loopback with a self-signed serving certificate; /healthz is always allowed.
    checks.push(
      {
        description: "kube-controller-manager",
        command: `${curl} -k https://127.0.0.1:${CONTROLLER_MANAGER_PORT}/healthz`,
      },
      { description: "kube-scheduler", command: `${curl} -k https://127.0.0.1:${SCHEDULER_PORT}/healthz` },
    );
  }
  checks.push({ description: "kubelet", command: "systemctl is-active --quiet kubelet.service" });
  return checks;
}

const kubectl = `kubectl --kubeconfig ${paths.adminKubeconfig}`;

/** The Node object exists: the kubelet registered (a new node stays NotReady until the CNI add-on runs). */
export function nodeRegistered(node: string): HealthCheck {
  return { description: `node ${node} registered`, command: `${kubectl} get node ${node}` };
}

/** The node reports Ready. */
export function nodeReady(node: string): HealthCheck {
  return {
    description: `node ${node} Ready`,
    command: `${kubectl} get node ${node} -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True`,
  };
}

/** A gate script: waits for every check in turn, each bounded by the timeout. */
export function gateScript(checks: readonly HealthCheck[], timeoutSeconds: number): string {
  return [
    "set -euo pipefail",
    `TIMEOUT=${timeoutSeconds}`,
    "wait_for() {",
    "  local deadline=$(( $(date +%s) + TIMEOUT ))",
    '  until bash -c "$2" >/dev/null 2>&1; do',
    '    if [ "$(date +%s)" -ge "$deadline" ]; then echo "kubeforge: $1 not healthy after ${TIMEOUT}s" >&2; return 1; fi',
    "    sleep 5",
    "  done",
    '  echo "kubeforge: $1 healthy"',
    "}",
    ...checks.map((c) => `wait_for ${shellQuote(c.description)} ${shellQuote(c.command)}`),
    "",
  ].join("\n");
}

/** SSH connection arguments for one node: its external address if it has one, else its address. */
export function connectionFor(node: NodeSpec, c: ConnectionConfig): types.input.remote.ConnectionArgs {
  const secret = (v: pulumi.Input<string> | undefined) => (v === undefined ? undefined : pulumi.secret(v));
  return {
    host: node.externalAddress ?? node.address,
    user: c.user,
    port: c.port,
    privateKey: secret(c.privateKey),
    hostKey: c.hostKeys[node.name],
    proxy: c.bastion
      ? {
          host: c.bastion.host,
          user: c.bastion.user ?? c.user,
          port: c.bastion.port ?? 22,
          privateKey: secret(c.bastion.privateKey ?? c.privateKey),
        }
      : undefined,
  };
}

/** One node's delivery, prepared by the caller. */
export interface NodeDelivery {
  readonly node: NodeSpec;
  /** The node's content hash: the generation its delivery records (see {@link createRollout}). */
  readonly hash: string;
  /** The delivery script (not secret); it embeds the hash, so a content change changes it. */
  readonly script: string;
  /** The payload (secret). */
  readonly stdin: pulumi.Output<string>;
  /**
   * The versions that drain a worker (lib/plan `drainKey`): its batch's drain re-runs when they
   * change. Absent: the node is never drained.
   */
  readonly drainKey?: string;
  /** The kubelet and containerd versions the node runs after the change, for the drain's guard. */
  readonly versions?: { readonly kubelet?: string; readonly containerd?: string };
}

/** What {@link createRollout} registers. */
export interface Rollout {
  /**
   * One command per node; its `delete` resets the host (guarded by the generation the delivery
   * recorded, so only the delete of a node that left the spec resets anything).
   */
  readonly deliveries: ReadonlyMap<string, remote.Command>;
  /** The health gates; a worker batch's gate also uncordons the nodes its drain cordoned. */
  readonly gates: readonly remote.Command[];
  /** The drain command of each worker batch that has nodes to drain, by batch number (from 1). */
  readonly drains: ReadonlyMap<number, remote.Command>;
  /**
   * Takes the nodes that left the spec out of the cluster (drain, delete the Node, etcd member
   * remove) before any of their hosts is reset. Absent without SSH deliveries.
   */
  readonly membership?: remote.Command;
  /** The last step: everything is delivered, healthy and reconciled once it has run. */
  readonly ready: pulumi.Resource;
}

export interface RolloutArgs {
  readonly prefix: string;
  readonly model: ClusterModel;
  readonly plan: RolloutPlan;
  readonly connection: ConnectionConfig;
  readonly rollout: RolloutConfig;
  /** Node name → delivery; empty with the cloud-init transport (then only the gates run). */
  readonly deliveries: ReadonlyMap<string, NodeDelivery>;
  /** Resources the first delivery waits for. */
  readonly after?: readonly pulumi.Resource[];
}

/**
 * Registers the delivery commands, the batch drains, the gates and the membership command, chained
 * in rollout order: control plane ready → per worker batch: drain → deliveries → gate (and uncordon)
 * → next batch; then membership; add-ons wait for it. Per worker that is one command (its delivery):
 * drains, uncordons and removals are per batch or per cluster, so the resource count grows by the
 * five PKI resources plus one per worker.
 *
 * A delivery has no triggers: its script embeds the node's content hash, so a content change is an
 * update of the same resource (its `update` mode, with its health checks), never a replacement,
 * and its `delete`, the host reset, runs only when the resource goes: when the node leaves the spec
 * (or on `pulumi destroy`). The reset still checks the generation the delivery recorded on the host,
 * so a delete that is not the host's last delivery (`pulumi up --replace`, a renamed resource: the
 * new copy is created first) leaves the host alone. A gate re-runs when a node it covers changed.
 * Unchanged nodes are no-ops that only pass the turn.
 *
 * Removal order: the engine registers the program's resources (creates, updates, replacements) and
 * only once the program has finished, and each registration has completed, runs the deletes of
 * resources no longer in the program (pulumi/pulumi `deploymentExecutor.performDeletes`; a failed
 * step cancels the update before that phase). The membership command's triggers are the node and
 * etcd member lists, so it re-runs in the first phase whenever a node leaves, and the deliveries of
 * the nodes that left, with their host resets, are deleted in the second. No dependency can express
 * this (a resource no longer in the program has none on a new one), and none is needed.
 */
export function createRollout(a: RolloutArgs, parent: pulumi.Resource): Rollout {
  const nodeByName = new Map(a.model.nodes.map((n) => [n.name, n]));
  const get = (name: string): NodeSpec => {
    const n = nodeByName.get(name);
    if (!n) throw new Error(`internal: rollout names unknown node ${name}`);
    return n;
  };
  const deliveries = new Map<string, remote.Command>();
  const gates: remote.Command[] = [];
  const drains = new Map<number, remote.Command>();
  const timeout = a.rollout.healthTimeoutSeconds;
  const hashOf = (name: string) => a.deliveries.get(name)?.hash ?? name;
  const first = a.plan.controlPlane[0];
  if (first === undefined) throw new Error("internal: a validated cluster has a control-plane node");
  const onFirst = connectionFor(get(first), a.connection);

  const deliver = (name: string, dependsOn: readonly pulumi.Resource[]): pulumi.Resource[] => {
    const d = a.deliveries.get(name);
    if (!d) return [...dependsOn];
    const reset = resetScript({
      node: name,
      generation: d.hash,
      etcdDataDir: a.model.spec.etcd.dataDir,
      timeoutSeconds: timeout,
    });
    const cmd = new remote.Command(
      `${a.prefix}-${name}-deliver`,
      {
        connection: connectionFor(d.node, a.connection),
        create: remoteCommand(d.script, "create"),
        update: remoteCommand(d.script, "update"),
        delete: remoteCommand(reset, "delete"),
        stdin: d.stdin,
        // The payload's secrets never reach stdout, but keep the log to the script's own messages.
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [...dependsOn] },
    );
    deliveries.set(name, cmd);
    return [cmd];
  };

  const gate = (
    name: string,
    covers: readonly string[],
    create: string,
    update: string,
    dependsOn: readonly pulumi.Resource[],
  ): remote.Command => {
    const cmd = new remote.Command(
      `${a.prefix}-${name}`,
      {
        connection: onFirst,
        create: remoteCommand(create, "create"),
        update: remoteCommand(update, "update"),
        triggers: covers.map(hashOf),
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [...dependsOn] },
    );
    gates.push(cmd);
    return cmd;
  };
  const healthGate = (
    name: string,
    on: string,
    covers: readonly string[],
    checks: readonly HealthCheck[],
    dependsOn: readonly pulumi.Resource[],
  ): remote.Command => {
    const script = gateScript(checks, timeout);
    const cmd = new remote.Command(
      `${a.prefix}-${name}`,
      {
        connection: connectionFor(get(on), a.connection),
        create: remoteCommand(script, "create"),
        update: remoteCommand(script, "update"),
        triggers: covers.map(hashOf),
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [...dependsOn] },
    );
    gates.push(cmd);
    return cmd;
  };

  // The batch's workers whose kubelet or runtime version may change are drained before its deliveries.
  const drainBatch = (
    batch: readonly string[],
    i: number,
    dependsOn: readonly pulumi.Resource[],
  ): pulumi.Resource[] => {
    const targets = batch.flatMap((name) => {
      const d = a.deliveries.get(name);
      return d?.drainKey ? [{ name, d, drainKey: d.drainKey }] : [];
    });
    if (targets.length === 0) return [...dependsOn];
    const script = drainScript(
      targets.map(({ name, d }) => ({
        node: name,
        kubeletVersion: d.versions?.kubelet,
        containerdVersion: d.versions?.containerd,
      })),
      timeout,
    );
    const cmd = new remote.Command(
      `${a.prefix}-workers-${i}-drain`,
      {
        connection: onFirst,
        create: remoteCommand(script, "create"),
        update: remoteCommand(script, "update"),
        triggers: targets.map(({ name, drainKey }) => `${name} ${drainKey}`),
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [...dependsOn] },
    );
    drains.set(i, cmd);
    return [cmd];
  };

  let previous: pulumi.Resource[] = [...(a.after ?? [])];
  for (const name of a.plan.etcd) previous = deliver(name, previous);
  const firstEtcd = a.plan.etcd[0];
  if (firstEtcd !== undefined) {
    previous = [healthGate("etcd-ready", firstEtcd, a.plan.etcd, [etcdHealth()], previous)];
  }
  for (const name of a.plan.controlPlane) previous = deliver(name, previous);
  const readyz = a.plan.controlPlane.map((n) => apiServerReadyz(get(n).address));
  previous = [
    healthGate("control-plane-ready", first, [...a.plan.etcd, ...a.plan.controlPlane], readyz, previous),
  ];
  a.plan.workerBatches.forEach((batch, index) => {
    const i = index + 1;
    const drained = drainBatch(batch, i, previous);
    const delivered = batch.flatMap((name) => deliver(name, drained));
    // Uncordoning after the gate: a node kubeforge drained is uncordoned once it is Ready again.
    const uncordon = uncordonScript(batch, timeout);
    previous = [
      gate(
        `workers-${i}-ready`,
        batch,
        `${gateScript(batch.map(nodeRegistered), timeout)}${uncordon}`,
        `${gateScript(batch.map(nodeReady), timeout)}${uncordon}`,
        delivered.length > 0 ? delivered : drained,
      ),
    ];
  });

  let membership: remote.Command | undefined;
  if (a.deliveries.size > 0) {
    const nodes = a.model.nodes.map((n) => n.name).sort();
    const etcdMembers = a.model.etcdMembers.map((m) => m.name).sort();
    const script = membershipScript({
      // etcdctl runs in the first control-plane node's etcd pod: only with stacked etcd.
      etcdVia: a.model.etcdMemberOf(first) ? first : undefined,
      timeoutSeconds: timeout,
    });
    membership = new remote.Command(
      `${a.prefix}-membership`,
      {
        connection: onFirst,
        create: remoteCommand(script, "create"),
        update: remoteCommand(script, "update"),
        stdin: membershipInput(nodes, etcdMembers),
        triggers: [nodes.join(" "), etcdMembers.join(" ")],
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: previous },
    );
    previous = [membership];
  }
  const ready = previous[0];
  if (!ready) throw new Error("internal: the rollout has no final gate");
  return { deliveries, gates, drains, membership, ready };
}
