import * as models from "kubernetes-models";

/**
 * Validation of synthesized Kubernetes objects against the official OpenAPI schemas shipped in
 * kubernetes-models (about Kubernetes 1.33). Reusable for every object kubeforge synthesizes:
 * `validateObject(obj)` picks the model class by apiVersion and kind and throws on a schema error.
 * The schemas accept unknown fields, so field assertions in tests stay necessary.
 */

/** A kubernetes-models class: `new C(obj).validate()` throws when obj breaks the schema. */
interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: Record<string, unknown>): { validate(): void };
}

function isModelClass(x: unknown): x is ModelClass {
  return (
    typeof x === "function" &&
    typeof (x as { apiVersion?: unknown }).apiVersion === "string" &&
    typeof (x as { kind?: unknown }).kind === "string"
  );
}

function collect(namespace: unknown, into: Map<string, ModelClass>, seen: Set<unknown>): void {
  if (namespace === null || typeof namespace !== "object" || seen.has(namespace)) return;
  seen.add(namespace);
  for (const value of Object.values(namespace as Record<string, unknown>)) {
    if (isModelClass(value)) into.set(`${value.apiVersion}/${value.kind}`, value);
    else collect(value, into, seen);
  }
}

/** Every model class by `apiVersion/kind`, e.g. `apps/v1/Deployment`. */
export const MODEL_CLASSES: ReadonlyMap<string, ModelClass> = (() => {
  const map = new Map<string, ModelClass>();
  collect(models, map, new Set());
  return map;
})();

/** The model class of an object's apiVersion and kind; throws when kubernetes-models has none. */
export function modelClassOf(obj: Record<string, unknown>): ModelClass {
  const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
  const model = MODEL_CLASSES.get(key);
  if (!model) throw new Error(`no official schema for ${key}`);
  return model;
}

/** Validates one object against its official schema; throws with the object's identity on failure. */
export function validateObject(obj: Record<string, unknown>): void {
  const Model = modelClassOf(obj);
  const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
  try {
    new Model(structuredClone(obj)).validate();
  } catch (error) {
    const where = `${String(obj.apiVersion)}/${String(obj.kind)} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name ?? "(unnamed)"}`;
    throw new Error(`${where} fails its schema: ${(error as Error).message}`);
  }
}

/** Validates every object; returns how many were checked (so a test can assert it checked some). */
export function validateObjects(objects: readonly Record<string, unknown>[]): number {
  for (const obj of objects) validateObject(obj);
  return objects.length;
}
