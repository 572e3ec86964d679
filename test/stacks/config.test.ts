import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { main } from "../../lib/cli/main";
import { type KubeforgeError, SpecValidationError } from "../../lib/errors";
import { defaultMaxUnavailable, readStackConfig } from "../../stacks/config";
import { defaultSpec, tempDir } from "../util";

/** readStackConfig against raw `kubeforge:*` values, as Pulumi hands them to the program (JSON strings). */
function reader(values: Record<string, unknown>): (key: string) => string | undefined {
  return (key) => (key in values ? JSON.stringify(values[key]) : undefined);
}
const connection = { user: "root", privateKey: "key" };

function errorOf(f: () => unknown): KubeforgeError {
  try {
    f();
  } catch (e) {
    return e as KubeforgeError;
  }
  throw new Error("expected an error");
}

describe("readStackConfig", () => {
  it("reads an inline spec, the connection and the rollout with defaults", () => {
    const config = readStackConfig(
      reader({ spec: defaultSpec(), connection: { ...connection, port: "2222" } }),
    );
    expect(config.transport).toBe("ssh");
    expect(config.connection).toStrictEqual({
      user: "root",
      port: 2222,
      privateKey: "key",
      hostKeys: {},
      bastion: undefined,
    });
    // maxUnavailable is left to the stack: a tenth of the workers, at least one.
    expect(config.rollout.maxUnavailable).toBeUndefined();
    expect(config.rollout.healthTimeoutSeconds).toBe(300);
    expect([1, 3, 25, 4995].map(defaultMaxUnavailable)).toStrictEqual([1, 1, 2, 499]);
    expect(config.spec.name).toBe("kubeforge");
  });

  it("reads the spec from a file relative to the project directory", () => {
    const t = tempDir();
    try {
      fs.writeFileSync(path.join(t.dir, "kubeforge.yaml"), stringify(defaultSpec()));
      const config = readStackConfig(reader({ specFile: "kubeforge.yaml", connection }), t.dir);
      expect(config.source).toBe("kubeforge.yaml");
      expect(config.spec.nodes).toHaveLength(6);
    } finally {
      t.cleanup();
    }
  });

  it("reports spec problems with exactly the codes `kubeforge validate` reports for the same file", async () => {
    const t = tempDir();
    try {
      const spec = defaultSpec() as Record<string, unknown>;
      spec.nodez = [];
      (spec.nodes as { address: string }[])[1] = {
        ...(spec.nodes as object[])[1],
        address: "300.1.1.1",
      } as never;
      const file = path.join(t.dir, "kubeforge.yaml");
      fs.writeFileSync(file, stringify(spec));
      let cliErr = "";
      const code = await main(["validate", "--config", file], { out: () => {}, err: (s) => (cliErr += s) });
      expect(code).toBe(1);
      const error = errorOf(() => readStackConfig(reader({ specFile: file, connection })));
      expect(error).toBeInstanceOf(SpecValidationError);
      const codes = (error as SpecValidationError).codes;
      expect(codes).toContain("UNKNOWN_KEY");
      expect(codes).toContain("INVALID_ADDRESS");
      // The same lines, issue by issue, as the CLI printed.
      for (const line of error.message.split("\n").slice(1)) expect(cliErr).toContain(line.trim());
    } finally {
      t.cleanup();
    }
  });

  it.each([
    ["no spec at all", { connection }, "REQUIRED"],
    ["both spec and specFile", { spec: defaultSpec(), specFile: "k.yaml", connection }, "INVALID_VALUE"],
    ["a specFile that is not a string", { specFile: 3, connection }, "INVALID_TYPE"],
    ["no connection for ssh", { spec: defaultSpec() }, "REQUIRED"],
    ["a connection that is not a mapping", { spec: defaultSpec(), connection: "root@host" }, "INVALID_TYPE"],
    ["a connection without user", { spec: defaultSpec(), connection: { privateKey: "k" } }, "REQUIRED"],
    [
      "a port out of range",
      { spec: defaultSpec(), connection: { ...connection, port: 70000 } },
      "INVALID_VALUE",
    ],
    [
      "an unknown connection field",
      { spec: defaultSpec(), connection: { ...connection, pasword: "x" } },
      "UNKNOWN_KEY",
    ],
    [
      "a bastion without host",
      { spec: defaultSpec(), connection: { ...connection, bastion: { user: "j" } } },
      "REQUIRED",
    ],
    [
      "a bastion that is not a mapping",
      { spec: defaultSpec(), connection: { ...connection, bastion: "b" } },
      "INVALID_TYPE",
    ],
    [
      "a host key that is not a string",
      { spec: defaultSpec(), connection: { ...connection, hostKeys: { "cp-1": 1 } } },
      "INVALID_TYPE",
    ],
    ["an unknown transport", { spec: defaultSpec(), connection, transport: "scp" }, "INVALID_VALUE"],
    [
      "maxUnavailable 0",
      { spec: defaultSpec(), connection, rollout: { maxUnavailable: 0 } },
      "INVALID_VALUE",
    ],
    ["a rollout that is not a mapping", { spec: defaultSpec(), connection, rollout: 2 }, "INVALID_TYPE"],
    [
      "a non-numeric timeout",
      { spec: defaultSpec(), connection, rollout: { healthTimeoutSeconds: "soon" } },
      "INVALID_TYPE",
    ],
  ])("rejects %s with %s", (_what, values, code) => {
    const error = errorOf(() => readStackConfig(reader(values)));
    expect(error).toBeInstanceOf(SpecValidationError);
    expect((error as SpecValidationError).codes).toStrictEqual([code]);
  });

  it("reports spec and connection problems together, spec first", () => {
    const spec = { ...defaultSpec(), etcd: { topology: "both" } };
    const error = errorOf(() =>
      readStackConfig(reader({ spec, connection: { port: 0 } })),
    ) as SpecValidationError;
    expect(error.codes).toStrictEqual(["INVALID_VALUE", "REQUIRED", "INVALID_VALUE"]);
    expect(error.issues.map((i) => i.path)).toStrictEqual([
      "etcd.topology",
      "kubeforge:connection.user",
      "kubeforge:connection.port",
    ]);
  });

  it("allows the cloud-init transport without a connection", () => {
    expect(
      readStackConfig(reader({ spec: defaultSpec(), transport: "cloud-init" })).connection,
    ).toBeUndefined();
  });

  it("reports a missing spec file as the CLI does (CONFIG_NOT_FOUND)", () => {
    const error = errorOf(() =>
      readStackConfig(reader({ specFile: "missing.yaml", connection }), "/nonexistent"),
    );
    expect(error.code).toBe("CONFIG_NOT_FOUND");
  });
});
