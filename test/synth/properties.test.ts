import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import { layoutFiles } from "../../lib/synth";
import { render } from "../util";

/** Random valid clusters: 1/3/5 control-plane nodes, 0-6 workers, varied networks and versions. */
const validSpec: fc.Arbitrary<ClusterSpecInput> = fc
  .record({
    controlPlanes: fc.constantFrom(1, 3, 5),
    workers: fc.integer({ min: 0, max: 6 }),
    version: fc.constantFrom("1.33", "1.34", "1.35"),
    servicePrefix: fc.integer({ min: 12, max: 24 }),
    podSecondOctet: fc.integer({ min: 128, max: 250 }),
    mask: fc.integer({ min: 20, max: 26 }),
  })
  .map(({ controlPlanes, workers, version, servicePrefix, podSecondOctet, mask }) => ({
    name: "prop",
    kubernetesVersion: version,
    controlPlane: controlPlanes > 1 ? { endpoint: { host: "192.0.2.10" } } : {},
    networking: {
      serviceCIDR: `10.96.0.0/${servicePrefix}`,
      podCIDR: `10.${podSecondOctet}.0.0/16`,
      nodeCIDRMaskSize: mask,
    },
    nodes: [
      ...Array.from({ length: controlPlanes }, (_, i) => ({
        name: `cp-${i + 1}`,
        roles: ["control-plane" as const, "etcd" as const, ...(workers === 0 ? (["worker"] as const) : [])],
        address: `192.0.2.${11 + i}`,
      })),
      ...Array.from({ length: workers }, (_, i) => ({
        name: `w-${i + 1}`,
        roles: ["worker" as const],
        address: `192.0.2.${101 + i}`,
      })),
    ],
  }));

describe("synthesis properties", () => {
  it("is deterministic for any valid spec", () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        const a = layoutFiles(render(structuredClone(spec)).rendered);
        const b = layoutFiles(render(structuredClone(spec)).rendered);
        expect([...a.keys()]).toStrictEqual([...b.keys()]);
        for (const [k, v] of a) expect(b.get(k)?.content).toBe(v.content);
      }),
      { numRuns: 25 },
    );
  });

  it("every control-plane node runs the three control-plane pods and every etcd member an etcd pod", () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        const { rendered } = render(spec);
        for (const node of rendered.nodes) {
          const paths = node.files.map((f) => f.path);
          const isCp = node.name.startsWith("cp-");
          for (const m of ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"]) {
            expect(paths.includes(`/etc/kubernetes/manifests/${m}.yaml`)).toBe(isCp);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
