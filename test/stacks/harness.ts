import * as pulumi from "@pulumi/pulumi";

/**
 * Pulumi's mock runtime with a record of every registration as the engine would receive it: type,
 * name, parent URN, dependency URNs and inputs. Mocks are process-global, so each scenario runs in
 * its own test file (vitest's forks pool gives each file a fresh process).
 */

export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly parent: string;
  readonly dependencies: readonly string[];
  readonly inputs: Record<string, unknown>;
}

/** A fixed notAfter every mocked certificate reports. */
export const MOCK_NOT_AFTER = "2030-01-01T00:00:00Z";

const pem = (label: string, body: string) =>
  `-----BEGIN ${label}-----\n${Buffer.from(body).toString("base64")}\n-----END ${label}-----\n`;

/** What the mocked providers return: the inputs, plus the outputs the stack reads, derived from the name. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return { ...inputs, privateKeyPem: pem("PRIVATE KEY", name), publicKeyPem: pem("PUBLIC KEY", name) };
    case "tls:index/certRequest:CertRequest":
      return { ...inputs, certRequestPem: pem("CERTIFICATE REQUEST", name) };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { ...inputs, certPem: pem("CERTIFICATE", name), validityEndTime: MOCK_NOT_AFTER };
    case "random:index/randomBytes:RandomBytes":
      return { ...inputs, base64: Buffer.alloc(32, 7).toString("base64"), hex: "07".repeat(32) };
    case "command:remote:Command":
      return { ...inputs, stdout: "", stderr: "" };
    default:
      return inputs;
  }
}

/** Pulumi's marker of a serialized secret. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Serialized inputs with secrets replaced by `{ secret: value }`, so tests see both the value and its secrecy. */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SIG_KEY] === SECRET_SIG) return { secret: unwrapSecrets(o.value) };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/** Installs the mocks and the recorder; call before importing the program. */
export async function installMocks(config: Record<string, string> = {}): Promise<Registration[]> {
  const registrations: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs) }),
      call: (args) => args.inputs,
    },
    "kubeforge",
    "test",
    false,
  );
  pulumi.runtime.setAllConfig(config);
  // biome-ignore lint/suspicious/noExplicitAny: the mock monitor's request objects are untyped gRPC messages
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  // biome-ignore lint/suspicious/noExplicitAny: see above
  monitor.registerResource = (req: any, callback: unknown) => {
    registrations.push({
      type: req.getType(),
      name: req.getName(),
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      inputs: unwrapSecrets(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
    });
    return register(req, callback);
  };
  return registrations;
}

/** Waits until registrations stop arriving (ConfigGroup children register from inside an apply). Bounded. */
export async function settle(registrations: readonly unknown[]): Promise<void> {
  let stable = 0;
  let last = -1;
  for (let i = 0; i < 500 && stable < 15; i++) {
    await new Promise((r) => setTimeout(r, 10));
    stable = registrations.length === last ? stable + 1 : 0;
    last = registrations.length;
  }
}

/** The resolved value of an output (mocks resolve everything). */
export function resolved<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** One registration by type and name; throws when missing. */
export function find(registrations: readonly Registration[], type: string, name: string): Registration {
  const r = registrations.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
}
