import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { ClusterSpecInput } from "../../lib/spec/schema";
import { createCluster } from "../../stacks/provision";
import { defaultSpec } from "../util";
import { installMocks, type Registration, settle } from "./harness";

/**
 * The resource budget (issue #7): at most six Pulumi resources per worker — its kubelet key, two
 * CSRs, two certificates and its delivery — plus a constant number per worker batch.
 */
const connection = { user: "admin", port: 22, privateKey: "ssh-key", hostKeys: {} };
let registrations: Registration[];

/** The default control plane with `workers` workers. */
function specWith(workers: number): ClusterSpecInput {
  const spec = defaultSpec();
  const template = spec.nodes.find((n) => n.name === "worker-1");
  if (!template) throw new Error("fixture");
  spec.nodes = [
    ...spec.nodes.filter((n) => !n.roles.includes("worker")),
    ...Array.from({ length: workers }, (_, i) => ({
      ...template,
      name: `worker-${i + 1}`,
      address: `192.0.2.${100 + i}`,
    })),
  ];
  return spec;
}

beforeAll(async () => {
  registrations = await installMocks();
  const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
  // Ten batches each: one worker per batch, then two.
  createCluster("ten", { spec: specWith(10), connection }, parent);
  createCluster("twenty", { spec: specWith(20), connection }, parent);
  await settle(registrations);
});

const of = (prefix: string) => registrations.filter((r) => r.name.startsWith(`${prefix}-`));

describe("resources per worker", () => {
  it("registers six resources that name each worker, and two per batch", () => {
    const rs = of("twenty");
    for (let i = 1; i <= 20; i++) {
      const mine = rs.filter((r) => new RegExp(`^twenty-worker-${i}-`).test(r.name));
      expect(mine.map((r) => r.type).sort(), `worker-${i}`).toStrictEqual(
        [
          "command:remote:Command",
          "tls:index/certRequest:CertRequest",
          "tls:index/certRequest:CertRequest",
          "tls:index/locallySignedCert:LocallySignedCert",
          "tls:index/locallySignedCert:LocallySignedCert",
          "tls:index/privateKey:PrivateKey",
        ].sort(),
      );
    }
    for (let k = 1; k <= 10; k++) {
      const batch = rs.filter((r) => r.name.startsWith(`twenty-workers-${k}-`)).map((r) => r.name);
      expect(batch.sort(), `batch ${k}`).toStrictEqual([
        `twenty-workers-${k}-drain`,
        `twenty-workers-${k}-ready`,
      ]);
    }
  });

  it("adds exactly six resources per added worker at a constant batch count", () => {
    expect((of("twenty").length - of("ten").length) / 10).toBe(6);
  });
});
