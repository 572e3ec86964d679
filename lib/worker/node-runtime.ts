import { Construct } from "constructs";
import type { NodeFile } from "../host/node-file";
import { HaEndpoint, needsManagedEndpoint } from "../networking/ha-endpoint";
import { HostNetworking } from "../networking/host-networking";
import type { ComponentProps } from "../private/component";
import { BootstrapScript } from "./bootstrap";
import { downloadsFor } from "./checksums";
import { CloudInitUserData } from "./cloud-init";
import { Containerd } from "./containerd";
import { Kubelet } from "./kubelet";

/**
 * What every node (control-plane, etcd or worker) runs below the control plane: containerd, the
 * kubelet, host networking, the HA endpoint's share on control-plane nodes, and the generated
 * bootstrap script and cloud-init user-data that carry all of the node's files.
 */
export class NodeRuntime extends Construct {
  readonly containerd: Containerd;
  readonly kubelet: Kubelet;
  readonly hostNetworking: HostNetworking;
  readonly haEndpoint?: HaEndpoint;
  readonly bootstrap: BootstrapScript;
  readonly cloudInit: CloudInitUserData;

  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model, node } = props;
    this.containerd = new Containerd(this, "containerd", { model });
    this.kubelet = new Kubelet(this, "kubelet", { model, node });
    this.hostNetworking = new HostNetworking(this, "host-networking", { model, node });
    if (node.roles.includes("control-plane") && needsManagedEndpoint(model)) {
      this.haEndpoint = new HaEndpoint(this, "ha-endpoint", { model, node });
    }
    this.cloudInit = new CloudInitUserData(this, "cloud-init");
    const cloudInit: NodeFile = this.cloudInit;
    this.bootstrap = new BootstrapScript(this, "bootstrap", {
      nodeName: node.name,
      downloads: downloadsFor(model.spec.kubernetesVersion),
      exclude: (f) => f === cloudInit,
    });
  }
}
