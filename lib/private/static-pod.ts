import { k8s } from "cdk8s-plus-27";

/**
 * Builds control-plane static Pod manifests from typed cdk8s-plus-27 props.
 * @internal
 */

/** A host directory or file mounted into a static pod. */
export interface HostMount {
  readonly name: string;
  readonly hostPath: string;
  /** @default hostPath */
  readonly mountPath?: string;
  readonly readOnly: boolean;
  readonly type: "Directory" | "DirectoryOrCreate" | "File" | "FileOrCreate";
}

export interface HealthProbes {
  readonly host: string;
  readonly port: number;
  readonly scheme: "HTTP" | "HTTPS";
  readonly liveness: string;
  readonly readiness?: string;
  readonly startup: string;
}

export interface StaticPodOptions {
  /** Pod and container name, also the `component` label. */
  readonly name: string;
  readonly image: string;
  /** The binary, e.g. `kube-apiserver`. */
  readonly command: string;
  /** Flags without the leading dashes; rendered sorted as `--key=value`. */
  readonly flags: Readonly<Record<string, string>>;
  readonly mounts: readonly HostMount[];
  readonly probes: HealthProbes;
  readonly cpuRequest: string;
  readonly memoryRequest?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** `{ b: "2", a: "1" }` → `["--a=1", "--b=2"]`: sorted, so output is stable and diffs are small. */
export function renderFlags(flags: Readonly<Record<string, string>>): string[] {
  return Object.keys(flags)
    .sort()
    .map((k) => `--${k}=${flags[k]}`);
}

function probe(p: HealthProbes, path: string, failureThreshold: number): k8s.Probe {
  return {
    httpGet: { host: p.host, path, port: k8s.IntOrString.fromNumber(p.port), scheme: p.scheme },
    initialDelaySeconds: 10,
    periodSeconds: 10,
    timeoutSeconds: 15,
    failureThreshold,
  };
}

/** The manifest of a hardened control-plane static Pod (a plain object, ready for YAML). */
export function staticPodManifest(o: StaticPodOptions): Record<string, unknown> {
  const readiness = o.probes.readiness;
  return k8s.KubePod.manifest({
    metadata: {
      name: o.name,
      namespace: "kube-system",
      labels: { component: o.name, tier: "control-plane" },
      annotations: o.annotations ? { ...o.annotations } : undefined,
    },
    spec: {
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: "system-node-critical",
      securityContext: { seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: o.name,
          image: o.image,
          imagePullPolicy: "IfNotPresent",
          command: [o.command, ...renderFlags(o.flags)],
          resources: {
            requests: {
              cpu: k8s.Quantity.fromString(o.cpuRequest),
              ...(o.memoryRequest ? { memory: k8s.Quantity.fromString(o.memoryRequest) } : {}),
            },
          },
          livenessProbe: probe(o.probes, o.probes.liveness, 8),
          readinessProbe: readiness ? { ...probe(o.probes, readiness, 3), periodSeconds: 1 } : undefined,
          startupProbe: { ...probe(o.probes, o.probes.startup, 24) },
          volumeMounts: o.mounts.map((m) => ({
            name: m.name,
            mountPath: m.mountPath ?? m.hostPath,
            readOnly: m.readOnly,
          })),
        },
      ],
      volumes: o.mounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: m.type } })),
    },
  }) as Record<string, unknown>;
}

/** Mounts every control-plane component needs to verify TLS peers with the host's CA bundle. */
export const CA_BUNDLE_MOUNTS: readonly HostMount[] = [
  { name: "ca-certs", hostPath: "/etc/ssl/certs", readOnly: true, type: "DirectoryOrCreate" },
  {
    name: "etc-ca-certificates",
    hostPath: "/etc/ca-certificates",
    readOnly: true,
    type: "DirectoryOrCreate",
  },
  {
    name: "usr-share-ca-certificates",
    hostPath: "/usr/share/ca-certificates",
    readOnly: true,
    type: "DirectoryOrCreate",
  },
  {
    name: "usr-local-share-ca-certificates",
    hostPath: "/usr/local/share/ca-certificates",
    readOnly: true,
    type: "DirectoryOrCreate",
  },
];

/**
 * True when every absolute path named by a flag lies under one of the mounts. Tests assert it for
 * every synthesized static pod; constructs use it to fail fast on a forgotten mount.
 */
export function unmountedPaths(
  flags: Readonly<Record<string, string>>,
  mounts: readonly HostMount[],
): string[] {
  const missing: string[] = [];
  for (const value of Object.values(flags)) {
    for (const part of value.split(",")) {
      if (!part.startsWith("/")) continue;
      const covered = mounts.some((m) => {
        const target = m.mountPath ?? m.hostPath;
        return part === target || part.startsWith(`${target}/`);
      });
      if (!covered) missing.push(part);
    }
  }
  return missing;
}
