import { Construct, type IConstruct } from "constructs";
import { stringify } from "yaml";

/** How a node file's content is produced. Documents are rendered as YAML, text as is. */
export type NodeFileContent =
  | { readonly kind: "yaml"; readonly document: unknown }
  | { readonly kind: "text"; readonly text: string };

export interface NodeFileProps {
  /** Absolute path on the host, e.g. `/etc/kubernetes/manifests/etcd.yaml`. */
  readonly path: string;
  /**
   * File mode on the host.
   * @default 0o600 — the strictest; pass 0o644 for files other users may read.
   */
  readonly mode?: number;
  /**
   * Owner on the host, `user:group`.
   * @default "root:root"
   */
  readonly owner?: string;
  readonly content: NodeFileContent;
}

const NODE_FILE = Symbol.for("kubeforge.NodeFile");
const HOST_NODE = Symbol.for("kubeforge.HostNode");

/** Renders a document as YAML the same way everywhere: no folding, no anchors, stable. */
export function toYaml(document: unknown): string {
  return stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * A file placed on one host at an absolute path, with a recorded mode and owner. Static pods,
 * component configs, kubeconfigs and units are all node files. Never holds secret material:
 * keys and certificates are referenced by path and delivered by `pki generate` or the Pulumi stack.
 */
export class NodeFile extends Construct {
  /** True for a {@link NodeFile}, across copies of the library. */
  static isNodeFile(x: unknown): x is NodeFile {
    return x !== null && typeof x === "object" && NODE_FILE in x;
  }

  /** A YAML document file. */
  static yaml(scope: Construct, id: string, path: string, document: unknown, mode?: number): NodeFile {
    return new NodeFile(scope, id, { path, mode, content: { kind: "yaml", document } });
  }

  /** A plain text file. */
  static text(scope: Construct, id: string, path: string, text: string, mode?: number): NodeFile {
    return new NodeFile(scope, id, { path, mode, content: { kind: "text", text } });
  }

  readonly path: string;
  readonly mode: number;
  readonly owner: string;
  readonly content: NodeFileContent;

  constructor(scope: Construct, id: string, props: NodeFileProps) {
    super(scope, id);
    Object.defineProperty(this, NODE_FILE, { value: true });
    if (!props.path.startsWith("/") || props.path.split("/").includes("..")) {
      throw new Error(`internal: node file path must be absolute and normalized: ${props.path}`);
    }
    this.path = props.path;
    this.mode = props.mode ?? 0o600;
    this.owner = props.owner ?? "root:root";
    this.content = props.content;
  }

  private rendered?: string;

  /**
   * The file's bytes as text. Rendered once: bootstrap scripts and cloud-init user-data carry their
   * node's other files, so each file is read several times per synthesis.
   */
  render(): string {
    this.rendered ??= this.renderContent();
    return this.rendered;
  }

  /** Produces the content; subclasses that compute it from other files override this. */
  protected renderContent(): string {
    return this.content.kind === "yaml" ? toYaml(this.content.document) : this.content.text;
  }
}

export interface HostNodeProps {
  /** The node's name in the spec: the folder under dist/nodes/. */
  readonly nodeName: string;
  /** Host paths of secret material this node needs, delivered at apply time (listed, never written). */
  readonly secretPaths?: readonly string[];
}

/**
 * The files of one host. A plain construct, not a Chart: one chart per node makes cdk8s synthesis
 * quadratic in the node count, and node files are not API objects anyway.
 */
export class HostNode extends Construct {
  static isHostNode(x: unknown): x is HostNode {
    return x !== null && typeof x === "object" && HOST_NODE in x;
  }

  /** The nearest HostNode above a construct, or undefined. */
  static of(c: IConstruct): HostNode | undefined {
    for (let s: IConstruct | undefined = c; s; s = s.node.scope) {
      if (HostNode.isHostNode(s)) return s;
    }
    return undefined;
  }

  readonly nodeName: string;
  private readonly secrets: Set<string>;

  constructor(scope: Construct, id: string, props: HostNodeProps) {
    super(scope, id);
    Object.defineProperty(this, HOST_NODE, { value: true });
    this.nodeName = props.nodeName;
    this.secrets = new Set(props.secretPaths ?? []);
    this.node.addValidation({ validate: () => this.duplicatePaths() });
  }

  /** Records a secret path this node needs at apply time. */
  addSecretPath(path: string): void {
    this.secrets.add(path);
  }

  /** Sorted host paths of secret material. */
  get secretPaths(): string[] {
    return [...this.secrets].sort();
  }

  /** The node files below this host, in construct order. */
  get files(): NodeFile[] {
    return this.node.findAll().filter(NodeFile.isNodeFile);
  }

  private duplicatePaths(): string[] {
    const seen = new Map<string, string>();
    const errors: string[] = [];
    for (const f of this.files) {
      const other = seen.get(f.path);
      if (other)
        errors.push(`node '${this.nodeName}': ${f.path} is written by both ${other} and ${f.node.path}`);
      else seen.set(f.path, f.node.path);
      if (this.secrets.has(f.path)) {
        errors.push(
          `node '${this.nodeName}': ${f.path} is secret material and must not be synthesized (${f.node.path})`,
        );
      }
    }
    return errors;
  }
}
