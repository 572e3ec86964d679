import type { Construct } from "constructs";
import { paths } from "../paths";
import { type ComponentProps, StaticPodComponent } from "../private/component";
import { kubernetesTlsFlags } from "../security/tls";
import { type ClusterModel, SCHEDULER_PORT } from "../spec/model";

/**
 * The KubeSchedulerConfiguration. kube-scheduler's `--kubeconfig` and `--profiling` flags are
 * deprecated in favour of this file, so they are set here instead.
 * @see https://kubernetes.io/docs/reference/config-api/kube-scheduler-config.v1/
 */
export function schedulerConfiguration(model: ClusterModel): Record<string, unknown> {
  return {
    apiVersion: "kubescheduler.config.k8s.io/v1",
    kind: "KubeSchedulerConfiguration",
    clientConnection: { kubeconfig: paths.schedulerKubeconfig },
    enableProfiling: model.spec.security.profiling,
    enableContentionProfiling: false,
    leaderElection: { leaderElect: true },
  };
}

/** kube-scheduler flags: only those not covered by the configuration file. */
export function schedulerFlags(): Record<string, string> {
  return {
    "authentication-kubeconfig": paths.schedulerKubeconfig,
    "authorization-kubeconfig": paths.schedulerKubeconfig,
    "bind-address": "127.0.0.1",
    config: paths.schedulerConfig,
    "secure-port": String(SCHEDULER_PORT),
    ...kubernetesTlsFlags(),
  };
}

/** kube-scheduler as a static pod. */
export class Scheduler extends StaticPodComponent {
  constructor(scope: Construct, id: string, props: ComponentProps) {
    const { model } = props;
    super(scope, id, {
      name: "kube-scheduler",
      image: model.images.scheduler,
      command: "kube-scheduler",
      flags: schedulerFlags(),
      mounts: [
        { name: "kubeconfig", hostPath: paths.schedulerKubeconfig, readOnly: true, type: "File" },
        { name: "config", hostPath: paths.schedulerConfig, readOnly: true, type: "File" },
      ],
      probes: {
        host: "127.0.0.1",
        port: SCHEDULER_PORT,
        scheme: "HTTPS",
        liveness: "/livez",
        readiness: "/readyz",
        startup: "/livez",
      },
      cpuRequest: "100m",
    });
  }
}
