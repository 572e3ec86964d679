import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { StackConfigError } from "../../stacks/config";
import { defaultSpec } from "../util";
import { installMocks } from "./harness";

/** The program Pulumi.yaml names, with an invalid stack config: it fails before registering any resource. */
it("fails with a RunError that carries every problem's code, and registers nothing", async () => {
  const root = path.resolve(__dirname, "../..");
  const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { main: string };
  const spec = defaultSpec();
  spec.nodes.push({ name: "cp-1", roles: ["worker"], address: "192.0.2.99" });
  const registrations = await installMocks({
    "kubeforge:spec": JSON.stringify(spec),
    "kubeforge:connection": JSON.stringify({ port: 22 }),
  });
  let error: unknown;
  try {
    await import(path.join(root, project.main));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(StackConfigError);
  expect(pulumi.RunError.isInstance(error)).toBe(true);
  expect((error as StackConfigError).codes).toStrictEqual(["DUPLICATE_NODE_NAME", "REQUIRED"]);
  expect(registrations.filter((r) => r.type !== "pulumi:pulumi:Stack")).toStrictEqual([]);
});
