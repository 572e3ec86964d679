import { Construct } from "constructs";
import { NodeFile } from "../host/node-file";
import { paths } from "../paths";
import type { ComponentProps } from "../private/component";
import { auditPolicy } from "../security/audit-policy";
import { authenticationConfiguration } from "../security/authentication-config";
import { ADMISSION_CONFIG_PATH, clusterAdmissionConfiguration } from "../security/pod-security";
import { API_SERVER_PORT } from "../spec/model";
import { ApiServer } from "./api-server";
import { ControllerManager } from "./controller-manager";
import { kubeconfig } from "./kubeconfig";
import { Scheduler, schedulerConfiguration } from "./scheduler";

/**
 * Everything one control-plane node runs: the three control-plane static pods, their configuration
 * files and kubeconfigs. Credentials are referenced by path and delivered at apply time.
 */
export class ControlPlaneNode extends Construct {
  readonly apiServer: ApiServer;
  readonly controllerManager: ControllerManager;
  readonly scheduler: Scheduler;

  constructor(scope: Construct, id: string, props: ComponentProps) {
    super(scope, id);
    const { model, node } = props;
    const { spec } = model;
    this.apiServer = new ApiServer(this, "kube-apiserver", props);
    this.controllerManager = new ControllerManager(this, "kube-controller-manager", props);
    this.scheduler = new Scheduler(this, "kube-scheduler", props);

    if (!spec.security.anonymousAuth) {
      NodeFile.yaml(
        this,
        "authentication-config",
        paths.authenticationConfig,
        authenticationConfiguration(spec),
      );
    }
    if (spec.security.auditLog.enabled) {
      NodeFile.yaml(this, "audit-policy", paths.auditPolicy, auditPolicy());
    }
    NodeFile.yaml(this, "scheduler-config", paths.schedulerConfig, schedulerConfiguration(model));
    NodeFile.yaml(this, "admission-config", ADMISSION_CONFIG_PATH, clusterAdmissionConfiguration(spec));

    // Components on this node talk to their local API server, as kubeadm does.
    const local = `https://${node.address}:${API_SERVER_PORT}`;
    NodeFile.yaml(
      this,
      "controller-manager-kubeconfig",
      paths.controllerManagerKubeconfig,
      kubeconfig({
        clusterName: spec.name,
        server: local,
        user: "system:kube-controller-manager",
        clientCertificate: paths.controllerManagerClientCert,
        clientKey: paths.controllerManagerClientKey,
      }),
    );
    NodeFile.yaml(
      this,
      "scheduler-kubeconfig",
      paths.schedulerKubeconfig,
      kubeconfig({
        clusterName: spec.name,
        server: local,
        user: "system:kube-scheduler",
        clientCertificate: paths.schedulerClientCert,
        clientKey: paths.schedulerClientKey,
      }),
    );
    NodeFile.yaml(
      this,
      "admin-kubeconfig",
      paths.adminKubeconfig,
      kubeconfig({
        clusterName: spec.name,
        server: model.endpoint.url,
        user: "kubeforge-admin",
        clientCertificate: paths.adminClientCert,
        clientKey: paths.adminClientKey,
      }),
    );
  }
}
