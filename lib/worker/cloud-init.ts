import { gzipSync } from "node:zlib";
import type { Construct } from "constructs";
import { NodeFile, toYaml } from "../host/node-file";
import { formatMode } from "../private/format";
import { BOOTSTRAP_SCRIPT, carriedFiles, type ScriptFile } from "./bootstrap";

/** Where a node's cloud-init user-data is kept, for the delivery step to hand to the cloud provider. */
export const CLOUD_INIT_USER_DATA = "/etc/kubeforge/cloud-init.yaml";

/** Files larger than this are gzip+base64 encoded, to keep user-data under provider size limits. */
const COMPRESS_OVER = 4096;

/**
 * cloud-init user-data for one node: `write_files` with path, permissions, owner (and encoding for
 * large files) for each given file, then `runcmd` runs the bootstrap script. A node's own user-data
 * carries just its bootstrap script, which itself carries every node file with its mode and owner:
 * the files stand once, and user-data stays within cloud providers' size limits (16 KiB on some).
 * @see https://cloudinit.readthedocs.io/en/latest/reference/modules.html#write-files
 */
export function cloudInitUserData(files: readonly ScriptFile[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const writeFiles = sorted.map((f) => {
    const entry: Record<string, string> = { path: f.path, permissions: formatMode(f.mode), owner: f.owner };
    if (Buffer.byteLength(f.content) > COMPRESS_OVER) {
      // gzip's header carries no timestamp from Node's zlib, so the bytes are deterministic.
      entry.encoding = "gz+b64";
      entry.content = gzipSync(Buffer.from(f.content, "utf8"), { level: 9 }).toString("base64");
    } else {
      entry.content = f.content;
    }
    return entry;
  });
  return `#cloud-config\n${toYaml({ write_files: writeFiles, runcmd: [[BOOTSTRAP_SCRIPT]] })}`;
}

/** The user-data as a node file (0600), rendered at synthesis time from the node's bootstrap script. */
export class CloudInitUserData extends NodeFile {
  constructor(scope: Construct, id: string) {
    super(scope, id, { path: CLOUD_INIT_USER_DATA, mode: 0o600, content: { kind: "text", text: "" } });
  }

  protected override renderContent(): string {
    return cloudInitUserData(carriedFiles(this, (f) => f.path !== BOOTSTRAP_SCRIPT));
  }
}
