import { beforeAll, describe, expect, it } from "vitest";
import { ClusterSpecSchema } from "../../lib/spec/schema";
import { runCli } from "../util";

interface JsonSchema {
  readonly type?: string | string[];
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly patternProperties?: Readonly<Record<string, JsonSchema>>;
  readonly propertyNames?: JsonSchema;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
}

/** Runs `kubeforge schema` in-process and returns its exit code, stdout and stderr. */
function runSchema(): Promise<{ code: number; out: string; err: string }> {
  return runCli(["schema"]);
}

/** Every sub-schema with `properties` (a fixed set of fields), with its JSON path, following `$ref`s. */
function objectSchemas(root: JsonSchema): [string, JsonSchema][] {
  const found: [string, JsonSchema][] = [];
  const seen = new Set<JsonSchema>();
  const resolve = (s: JsonSchema): JsonSchema => {
    if (!s.$ref) return s;
    const name = /^#\/\$defs\/(.+)$/.exec(s.$ref)?.[1];
    const target = name === undefined ? undefined : root.$defs?.[name];
    if (!target) throw new Error(`unresolvable $ref ${s.$ref}`);
    return target;
  };
  const walk = (raw: JsonSchema, at: string) => {
    const s = resolve(raw);
    if (seen.has(s)) return;
    seen.add(s);
    if (s.properties) {
      found.push([at, s]);
      for (const [key, child] of Object.entries(s.properties)) walk(child, at === "" ? key : `${at}.${key}`);
    }
    if (s.items) walk(s.items, `${at}[]`);
    if (typeof s.additionalProperties === "object") walk(s.additionalProperties, `${at}.*`);
    for (const list of [s.anyOf, s.oneOf, s.allOf]) for (const child of list ?? []) walk(child, at);
  };
  walk(root, "");
  return found;
}

describe("kubeforge schema (JSON Schema of kubeforge.yaml)", () => {
  let run: { code: number; out: string; err: string };
  let schema: JsonSchema;
  beforeAll(async () => {
    run = await runSchema();
    schema = JSON.parse(run.out) as JsonSchema;
  });

  it("prints one JSON document and exits 0", () => {
    expect(run.code).toBe(0);
    expect(run.err).toBe("");
    expect(run.out.endsWith("}\n")).toBe(true);
    expect(typeof schema).toBe("object");
  });

  it("describes the root mapping with exactly the spec's top-level fields", () => {
    expect(schema.type).toBe("object");
    expect(Object.keys(schema.properties ?? {}).sort()).toStrictEqual(
      Object.keys(ClusterSpecSchema.shape).sort(),
    );
    expect(schema.properties?.nodes?.type).toBe("array");
    expect(schema.properties?.nodes?.items?.properties?.address).toBeDefined();
  });

  it("requires only the fields without defaults: name and nodes", () => {
    expect([...(schema.required ?? [])].sort()).toStrictEqual(["name", "nodes"]);
  });

  it("accepts nothing unknown at the root", () => {
    expect(schema.additionalProperties).toBe(false);
    expect(schema.patternProperties).toBeUndefined();
  });

  it("closes every nested mapping with fixed fields, as the strict zod schema does", () => {
    const objects = objectSchemas(schema);
    expect(objects.map(([at]) => at)).toEqual(expect.arrayContaining(["", "nodes[]", "networking", "etcd"]));
    for (const [at, s] of objects) {
      expect(s.additionalProperties, at || "(root)").toBe(false);
    }
  });

  it("has a description on the root and on every field", () => {
    expect(schema.description).toBeTruthy();
    for (const [at, s] of objectSchemas(schema)) {
      for (const [key, field] of Object.entries(s.properties ?? {})) {
        expect(field.description, `${at}.${key}`).toMatch(/\S/);
      }
    }
  });

  it("lists enum values and defaults the editor can offer", () => {
    const etcd = schema.properties?.etcd;
    expect(etcd?.properties?.topology?.enum).toStrictEqual(["stacked", "external"]);
    expect(etcd?.properties?.topology?.default).toBe("stacked");
    expect(schema.properties?.networking?.properties?.podCIDR?.default).toBe("10.244.0.0/16");
    expect(schema.properties?.nodes?.items?.properties?.roles?.items?.enum).toStrictEqual([
      "control-plane",
      "etcd",
      "worker",
    ]);
  });
});
