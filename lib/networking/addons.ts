import { Construct } from "constructs";
import { Monitoring } from "../monitoring/monitoring";
import type { ClusterModel } from "../spec/model";
import type { Calico, CalicoEncapsulation } from "./calico";
import { CloudControllerManager } from "./cloud-controller-manager";
import { addCni } from "./cni";
import { CoreDns } from "./coredns";
import { Dashboard } from "./dashboard";
import type { Flannel } from "./flannel";
import { KubeProxy } from "./kube-proxy";
import { MetricsServer } from "./metrics-server";

/** Props of {@link ClusterAddons}. */
export interface ClusterAddonsProps {
  /** The derived cluster model (single source of truth). */
  readonly model: ClusterModel;
  /**
   * Calico's encapsulation, when Calico is the CNI.
   * @default "vxlan"
   */
  readonly calicoEncapsulation?: CalicoEncapsulation;
}

/**
 * The cluster add-ons, one chart each, so each lands in its own file under `dist/cluster/`
 * (`kube-proxy.yaml`, `cni.yaml`, `coredns.yaml`, `cloud-controller-manager.yaml`). The CNI chart
 * is absent with plugin `none`, the cloud-controller-manager without `controlPlane.cloudProvider`.
 */
export class ClusterAddons extends Construct {
  readonly kubeProxy: KubeProxy;
  readonly cni?: Calico | Flannel;
  readonly coreDns: CoreDns;
  readonly cloudControllerManager?: CloudControllerManager;
  /** Scraper identity, metrics proxies and Prometheus configuration (`monitoring.enabled`). */
  readonly monitoring?: Monitoring;
  /** metrics-server (`monitoring.metricsServer`). */
  readonly metricsServer?: MetricsServer;
  /** The read-only-capable web dashboard (`monitoring.dashboard`). */
  readonly dashboard?: Dashboard;

  constructor(scope: Construct, id: string, props: ClusterAddonsProps) {
    super(scope, id);
    const { model } = props;
    this.kubeProxy = new KubeProxy(this, "kube-proxy", { model });
    this.cni = addCni(this, "cni", { model, calicoEncapsulation: props.calicoEncapsulation });
    this.coreDns = new CoreDns(this, "coredns", { model });
    const { monitoring } = model.spec;
    if (monitoring.enabled) this.monitoring = new Monitoring(this, "monitoring", { model });
    if (monitoring.metricsServer) this.metricsServer = new MetricsServer(this, "metrics-server");
    if (monitoring.dashboard) this.dashboard = new Dashboard(this, "dashboard");
    const cloud = model.spec.controlPlane.cloudProvider;
    if (cloud) {
      this.cloudControllerManager = new CloudControllerManager(this, "cloud-controller-manager", {
        model,
        provider: cloud.name,
        image: cloud.image,
        args: cloud.args,
      });
    }
  }
}
