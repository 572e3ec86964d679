import { parse } from "yaml";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import type { RenderedCluster } from "../../lib/synth";
import { defaultSpec, render } from "../util";
import { PINNED_VERSION } from "../worker/fixtures";

/** A Kubernetes object as rendered. */
export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: tests walk arbitrary object trees
  spec?: any;
  data?: Record<string, string>;
};

/** The default six-node spec on a version the node bootstrap pins, changed by `change`. */
export function addonSpec(change: (s: ClusterSpecInput) => void = () => {}): ClusterSpecInput {
  const spec = defaultSpec();
  spec.kubernetesVersion = PINNED_VERSION;
  change(spec);
  return spec;
}

/** Renders a spec and returns the objects of one `dist/cluster/<file>`, or undefined when absent. */
export function clusterFile(rendered: RenderedCluster, file: string): KubeObject[] | undefined {
  return rendered.clusterObjects.find((g) => g.name === file)?.objects as KubeObject[] | undefined;
}

/** Renders a spec and returns the objects of one cluster file; throws when the file is absent. */
export function objectsOf(spec: ClusterSpecInput, file: string): KubeObject[] {
  const objects = clusterFile(render(spec).rendered, file);
  if (!objects) throw new Error(`no cluster/${file}`);
  return objects;
}

/** The one object of a kind and name; throws when missing. */
export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

/** Parses a YAML or JSON string field of a ConfigMap. */
export function configData(configMap: KubeObject, key: string): Record<string, unknown> {
  const text = configMap.data?.[key];
  if (text === undefined) throw new Error(`ConfigMap ${configMap.metadata.name} has no ${key}`);
  return parse(text) as Record<string, unknown>;
}
