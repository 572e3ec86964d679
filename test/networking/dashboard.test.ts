import { describe, expect, it } from "vitest";
import { DASHBOARD_VIEWER_ACCOUNT, DASHBOARD_VIEWER_ROLE } from "../../lib/networking/dashboard";
import { validateObject } from "../schema-validate";
import { defaultSpec, render } from "../util";

type Obj = Record<string, unknown> & { kind: string; metadata: { name: string } };
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

function objectsOf(enabled: boolean): Obj[] {
  const spec = defaultSpec();
  spec.monitoring = { dashboard: enabled };
  return (render(spec).rendered.clusterObjects.find((g) => g.name === "dashboard.yaml")?.objects ??
    []) as Obj[];
}

describe("the dashboard add-on", () => {
  it("is off by default", () => {
    expect(objectsOf(false)).toStrictEqual([]);
  });

  const objects = objectsOf(true);

  it("is schema-valid when turned on, with a pinned image behind a ClusterIP Service", () => {
    expect(objects.length).toBe(6);
    for (const o of objects) validateObject(o);
    expect(JSON.stringify(objects)).toContain('"image":"ghcr.io/headlamp-k8s/headlamp:v0.30.0"');
    const service = objects.find((o) => o.kind === "Service") as Obj & { spec: { type: string } };
    expect(service.spec.type).toBe("ClusterIP");
  });

  it("gives the viewer read verbs only, no wildcards and no Secrets; the dashboard itself holds no role", () => {
    const role = objects.find((o) => o.kind === "ClusterRole") as Obj & { rules: Rule[] };
    expect(role.metadata.name).toBe(DASHBOARD_VIEWER_ROLE);
    const all = role.rules.flatMap((r) => [...r.apiGroups, ...r.resources, ...r.verbs]);
    expect(all).not.toContain("*");
    expect(role.rules.flatMap((r) => r.resources)).not.toContain("secrets");
    expect([...new Set(role.rules.flatMap((r) => r.verbs))].sort()).toStrictEqual(["get", "list", "watch"]);
    const bindings = objects.filter(
      (o) => o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding",
    ) as (Obj & {
      subjects: { name: string }[];
    })[];
    expect(bindings.flatMap((b) => b.subjects.map((s) => s.name))).toStrictEqual([DASHBOARD_VIEWER_ACCOUNT]);
  });
});
