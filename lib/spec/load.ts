import * as fs from "node:fs";
import { isMap, parseDocument } from "yaml";
import { KubeforgeError } from "../errors";

/**
 * Reads a `kubeforge.yaml` into a plain value. YAML syntax errors and duplicate keys are reported
 * with their line and column; validation of the content happens in `validateClusterSpec`.
 */
export function loadSpecFile(file: string): unknown {
  if (!fs.existsSync(file)) {
    throw new KubeforgeError(
      "CONFIG_NOT_FOUND",
      file,
      `'${file}' does not exist. Pass the path of your kubeforge.yaml with --config, or leave --config out to use the built-in default cluster.`,
    );
  }
  // A directory would otherwise surface as Node's raw EISDIR error instead of a kubeforge error.
  if (!fs.statSync(file).isFile()) {
    throw new KubeforgeError(
      "CONFIG_NOT_FOUND",
      file,
      `'${file}' is not a file. Pass the path of your kubeforge.yaml with --config.`,
    );
  }
  const doc = parseDocument(fs.readFileSync(file, "utf8"), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => `  - ${e.message.split("\n")[0]}`).join("\n");
    throw new KubeforgeError(
      "CONFIG_PARSE",
      file,
      `'${file}' is not valid YAML:\n${details}\nFix the YAML syntax and try again.`,
    );
  }
  if (!isMap(doc.contents)) {
    throw new KubeforgeError(
      "CONFIG_PARSE",
      file,
      `'${file}' must hold a YAML mapping (name:, nodes:, …) at the top level.`,
    );
  }
  try {
    return doc.toJS();
  } catch (e) {
    // toJS() throws on alias expansion beyond its limit (a "billion laughs" document).
    throw new KubeforgeError(
      "CONFIG_PARSE",
      file,
      `'${file}' could not be read as YAML: ${e instanceof Error ? e.message : String(e)}. Remove the repeated aliases.`,
    );
  }
}
