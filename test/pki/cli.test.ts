import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { pkiLayout } from "../../lib/pki/store";
import { runCli, singleNodeSpec, tempDir } from "../util";

describe("kubeforge pki", () => {
  const tmp = tempDir("kubeforge-pki-cli-");
  afterAll(() => tmp.cleanup());

  it("generate, check and renew a PKI for the default cluster", async () => {
    const dir = path.join(tmp.dir, "default");
    const generated = await runCli(["pki", "generate", "--out", dir]);
    expect(generated).toMatchObject({ code: 0, err: "" });
    expect(generated.out).toMatch(
      /CAs created kubernetes-ca, etcd-ca, front-proxy-ca; 44 certificates issued, 0 kept/,
    );

    const checked = await runCli(["pki", "check", "--dir", dir]);
    expect(checked.code).toBe(0);
    expect(checked.out).toContain("cp-1/apiserver");
    expect(checked.out).toMatch(/All \d+ certificates are valid for at least 30 days/);

    const ca = fs.readFileSync(pkiLayout.caCert(dir, "kubernetes-ca"), "utf8");
    const renewed = await runCli(["pki", "renew", "--dir", dir]);
    expect(renewed.code).toBe(0);
    expect(renewed.out).toMatch(/CAs reused .*; 44 certificates issued, 0 kept/);
    expect(fs.readFileSync(pkiLayout.caCert(dir, "kubernetes-ca"), "utf8")).toBe(ca);
    expect((await runCli(["pki", "check", "--dir", dir])).code).toBe(0);
  });

  it("check exits non-zero below the threshold and names the code", async () => {
    const dir = path.join(tmp.dir, "threshold");
    expect((await runCli(["pki", "generate", "--out", dir])).code).toBe(0);
    const r = await runCli(["pki", "check", "--dir", dir, "--threshold-days", "400"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^EXPIRING\s+364\s/m);
    expect(r.err).toMatch(/\[CERT_EXPIRING\]\n$/);
  });

  it("check exits non-zero on a directory without a PKI", async () => {
    const r = await runCli(["pki", "check", "--dir", path.join(tmp.dir, "nothing")]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\[PKI_MISSING\]\n$/);
  });

  it("generate follows --config", async () => {
    const config = path.join(tmp.dir, "kubeforge.yaml");
    fs.writeFileSync(config, stringify(singleNodeSpec()));
    const dir = path.join(tmp.dir, "solo");
    const r = await runCli(["pki", "generate", "--config", config, "--out", dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("cluster 'solo' (1 nodes");
    expect(fs.readdirSync(path.join(dir, "nodes"))).toStrictEqual(["node-1"]);
    expect((await runCli(["pki", "check", "--config", config, "--dir", dir])).code).toBe(0);
  });

  it("generate refuses a directory inside synth output and writes nothing", async () => {
    const synthOut = path.join(tmp.dir, "synth-out");
    expect((await runCli(["synth", "--out", synthOut])).code).toBe(0);
    const target = path.join(synthOut, "pki");
    const r = await runCli(["pki", "generate", "--out", target]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: /);
    expect(fs.existsSync(target)).toBe(false);
  });

  it("rejects bad usage with exit code 2", async () => {
    expect((await runCli(["pki", "generate"])).code).toBe(2);
    expect((await runCli(["pki", "check", "--dir", tmp.dir, "--threshold-days", "soon"])).code).toBe(2);
  });
});
