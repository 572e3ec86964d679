import { describe, expect, it } from "vitest";
import { layoutFiles } from "../../lib/synth";
import { defaultSpec, render } from "../util";

/**
 * One snapshot per chart of cluster objects and per kind of node bundle. Targeted assertions on
 * the fields that matter live next to each construct's tests; these catch any unreviewed change.
 */
describe("default cluster snapshots", () => {
  const { rendered } = render(defaultSpec());
  const files = layoutFiles(rendered);

  for (const group of rendered.clusterObjects) {
    it(`cluster/${group.name}`, () => {
      expect(files.get(`cluster/${group.name}`)?.content).toMatchSnapshot();
    });
  }

  for (const node of ["cp-1", "worker-1"]) {
    it(`node bundle ${node}`, () => {
      const bundle = [...files.entries()]
        .filter(([name]) => name.startsWith(`nodes/${node}/`) || name === `nodes/${node}.json`)
        .map(([name, f]) => `### ${name} (${f.mode.toString(8)})\n${f.content}`)
        .join("\n");
      expect(bundle).toMatchSnapshot();
    });
  }
});
