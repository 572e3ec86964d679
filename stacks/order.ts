// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, whose ${…} expansions are intended.
import { remote, type types } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { paths } from "../lib/paths";
import { drainScript, leaveScript, resetScript, uncordonScript } from "../lib/plan/node-ops";
import {
  API_SERVER_PORT,
  type ClusterModel,
  CONTROLLER_MANAGER_PORT,
  ETCD_CLIENT_PORT,
  SCHEDULER_PORT,
} from "../lib/spec/model";
import type { NodeSpec } from "../lib/spec/schema";
import type { ConnectionConfig, RolloutConfig } from "./config";
import { type HealthCheck, remoteCommand, shellQuote } from "./delivery";

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
      `--key ${paths.etcdHealthcheckClientKey} https://127.0.0.1:${ETCD_CLIENT_PORT}/health | grep -q '"health":"true"'`,
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
  /** The node's content hash: its trigger. */
  readonly hash: string;
  /** The delivery script (not secret). */
  readonly script: string;
  /** The payload (secret). */
  readonly stdin: pulumi.Output<string>;
  /**
   * The versions that drain a worker (lib/plan `drainKey`): its drain and uncordon re-run when they
   * change. Absent: the node is never drained.
   */
  readonly drainKey?: string;
  /** The kubelet and containerd versions the node runs after the change, for the drain's guard. */
  readonly versions?: { readonly kubelet?: string; readonly containerd?: string };
}

/** What {@link createRollout} registers. */
export interface Rollout {
  readonly deliveries: ReadonlyMap<string, remote.Command>;
  readonly gates: readonly remote.Command[];
  /** Drain and uncordon commands of workers, by node name. */
  readonly drains: ReadonlyMap<string, { readonly drain: remote.Command; readonly uncordon: remote.Command }>;
  /**
   * Per node, the commands whose `delete` runs when the node leaves the spec: `leave` (drain, delete
   * the Node, remove the etcd member; on a control-plane node) depends on `reset` (wipe the host),
   * so Pulumi, which deletes dependents first, runs leave before reset.
   */
  readonly removals: ReadonlyMap<string, { readonly leave: remote.Command; readonly reset: remote.Command }>;
  /** The last gate: everything is delivered and healthy once it has run. */
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
 * Registers the delivery commands and the gates, chained in rollout order. A delivery re-runs when
 * its node's content hash or payload changes (`update` mode: it waits for its own health checks);
 * a gate re-runs when a node it covers changed. Unchanged nodes are no-ops that only pass the turn.
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
  const drains = new Map<string, { drain: remote.Command; uncordon: remote.Command }>();
  const removals = new Map<string, { leave: remote.Command; reset: remote.Command }>();
  const timeout = a.rollout.healthTimeoutSeconds;
  const hashOf = (name: string) => a.deliveries.get(name)?.hash ?? name;

  const deliver = (name: string, dependsOn: readonly pulumi.Resource[]): pulumi.Resource[] => {
    const d = a.deliveries.get(name);
    if (!d) return [...dependsOn];
    const cmd = new remote.Command(
      `${a.prefix}-${name}-deliver`,
      {
        connection: connectionFor(d.node, a.connection),
        create: remoteCommand(d.script, "create"),
        update: remoteCommand(d.script, "update"),
        stdin: d.stdin,
        triggers: [d.hash],
        // The payload's secrets never reach stdout, but keep the log to the script's own messages.
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [...dependsOn] },
    );
    deliveries.set(name, cmd);
    removal(name, d, cmd);
    return [cmd];
  };

  // Commands that do nothing until deleted: their `delete` takes the node out when it leaves the spec.
  const removal = (name: string, d: NodeDelivery, delivered: remote.Command) => {
    const via = get(a.plan.controlPlane.find((n) => n !== name) ?? name);
    const reset = new remote.Command(
      `${a.prefix}-${name}-reset`,
      {
        connection: connectionFor(d.node, a.connection),
        create: "true",
        delete: remoteCommand(resetScript(a.model.spec.etcd.dataDir, timeout), "delete"),
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [delivered] },
    );
    const leave = new remote.Command(
      `${a.prefix}-${name}-leave`,
      {
        connection: connectionFor(via, a.connection),
        create: "true",
        delete: remoteCommand(
          leaveScript({
            node: name,
            etcdMember: a.model.etcdMemberOf(name) !== undefined,
            via: via.name,
            timeoutSeconds: timeout,
          }),
          "delete",
        ),
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [reset] },
    );
    removals.set(name, { leave, reset });
  };

  // A worker whose kubelet or runtime version changes is drained before its delivery, uncordoned after.
  const drainThenDeliver = (name: string, dependsOn: readonly pulumi.Resource[]): pulumi.Resource[] => {
    const d = a.deliveries.get(name);
    const cp = a.plan.controlPlane[0];
    if (!d?.drainKey || cp === undefined) return deliver(name, dependsOn);
    const on = connectionFor(get(cp), a.connection);
    const script = drainScript(
      name,
      { kubeletVersion: d.versions?.kubelet, containerdVersion: d.versions?.containerd },
      timeout,
    );
    const drain = new remote.Command(
      `${a.prefix}-${name}-drain`,
      {
        connection: on,
        create: remoteCommand(script, "create"),
        update: remoteCommand(script, "update"),
        triggers: [d.drainKey],
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [...dependsOn] },
    );
    const delivered = deliver(name, [drain]);
    const uncordon = new remote.Command(
      `${a.prefix}-${name}-uncordon`,
      {
        connection: on,
        create: remoteCommand(uncordonScript(name, timeout), "create"),
        update: remoteCommand(uncordonScript(name, timeout), "update"),
        triggers: [d.drainKey, d.hash],
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: delivered },
    );
    drains.set(name, { drain, uncordon });
    return [uncordon];
  };

  const gate = (
    name: string,
    on: string,
    covers: readonly string[],
    create: readonly HealthCheck[],
    update: readonly HealthCheck[],
    dependsOn: readonly pulumi.Resource[],
  ): remote.Command => {
    const cmd = new remote.Command(
      `${a.prefix}-${name}`,
      {
        connection: connectionFor(get(on), a.connection),
        create: remoteCommand(gateScript(create, a.rollout.healthTimeoutSeconds), "create"),
        update: remoteCommand(gateScript(update, a.rollout.healthTimeoutSeconds), "update"),
        triggers: covers.map(hashOf),
        addPreviousOutputInEnv: false,
      },
      { parent, dependsOn: [...dependsOn] },
    );
    gates.push(cmd);
    return cmd;
  };

  let previous: pulumi.Resource[] = [...(a.after ?? [])];
  for (const name of a.plan.etcd) previous = deliver(name, previous);
  const firstEtcd = a.plan.etcd[0];
  if (firstEtcd !== undefined) {
    const checks = [etcdHealth()];
    previous = [gate("etcd-ready", firstEtcd, a.plan.etcd, checks, checks, previous)];
  }
  for (const name of a.plan.controlPlane) previous = deliver(name, previous);
  const first = a.plan.controlPlane[0];
  if (first === undefined) throw new Error("internal: a validated cluster has a control-plane node");
  const readyz = a.plan.controlPlane.map((n) => apiServerReadyz(get(n).address));
  previous = [
    gate("control-plane-ready", first, [...a.plan.etcd, ...a.plan.controlPlane], readyz, readyz, previous),
  ];
  a.plan.workerBatches.forEach((batch, i) => {
    const delivered = batch.flatMap((name) => drainThenDeliver(name, previous));
    previous = [
      gate(
        `workers-${i + 1}-ready`,
        first,
        batch,
        batch.map(nodeRegistered),
        batch.map(nodeReady),
        delivered.length > 0 ? delivered : previous,
      ),
    ];
  });
  const ready = previous[0];
  if (!ready) throw new Error("internal: the rollout has no final gate");
  return { deliveries, gates, drains, removals, ready };
}
