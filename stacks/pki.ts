import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import type {
  CaId,
  CertificateAuthorityPlan,
  CertificatePlan,
  ExtendedKeyUsage,
  KeyAlgorithm,
  KeyUsage,
  PkiPlan,
} from "../lib/pki/plan";

/**
 * The certificate plan of lib/pki issued with @pulumi/tls, so keys and certificates live in the
 * stack's encrypted state, and `pulumi up` within a certificate's renewal window re-issues it
 * (and, through the changed file payload, redeploys it to its node).
 */

/** The @pulumi/tls `allowedUses` name of each plan usage (the Terraform TLS provider's vocabulary). */
export const TLS_USAGE: Readonly<Record<KeyUsage | ExtendedKeyUsage, string>> = {
  digitalSignature: "digital_signature",
  keyEncipherment: "key_encipherment",
  keyCertSign: "cert_signing",
  cRLSign: "crl_signing",
  serverAuth: "server_auth",
  clientAuth: "client_auth",
};

/** Hours in a day, for validity arithmetic. */
const DAY_HOURS = 24;

/**
 * How long before expiry `pulumi up` re-issues a certificate: a third of its validity, at most 30
 * days. A year-long leaf renews a month ahead; a ten-year CA also renews 30 days ahead, and its
 * re-issue re-signs every leaf below it in the same update.
 */
export function earlyRenewalHours(validityDays: number): number {
  return Math.min(30 * DAY_HOURS, Math.floor((validityDays * DAY_HOURS) / 3));
}

/** @pulumi/tls PrivateKey arguments for a plan key algorithm. */
export function privateKeyArgs(algorithm: KeyAlgorithm): tls.PrivateKeyArgs {
  switch (algorithm) {
    case "ecdsa-p256":
      return { algorithm: "ECDSA", ecdsaCurve: "P256" };
    case "rsa-2048":
      return { algorithm: "RSA", rsaBits: 2048 };
    case "rsa-4096":
      return { algorithm: "RSA", rsaBits: 4096 };
  }
}

/** The plan's organizations as the one `O` value @pulumi/tls subjects hold. */
function organizationOf(plan: CertificatePlan): string | undefined {
  if (plan.organizations.length > 1) {
    throw new Error(`internal: @pulumi/tls subjects hold one organization; '${plan.id}' has several`);
  }
  return plan.organizations[0];
}

/** SelfSignedCert arguments (without the key) for a CA of the plan. */
export function caCertArgs(ca: CertificateAuthorityPlan): Omit<tls.SelfSignedCertArgs, "privateKeyPem"> {
  return {
    subject: { commonName: ca.commonName },
    isCaCertificate: true,
    allowedUses: ca.keyUsages.map((u) => TLS_USAGE[u]),
    validityPeriodHours: ca.validityDays * DAY_HOURS,
    earlyRenewalHours: earlyRenewalHours(ca.validityDays),
    setSubjectKeyId: true,
  };
}

/** CertRequest arguments (without the key) for a leaf certificate of the plan. */
export function certRequestArgs(cert: CertificatePlan): Omit<tls.CertRequestArgs, "privateKeyPem"> {
  const organization = organizationOf(cert);
  return {
    subject:
      organization === undefined
        ? { commonName: cert.commonName }
        : { commonName: cert.commonName, organization },
    dnsNames: [...cert.dnsNames],
    ipAddresses: [...cert.ipAddresses],
  };
}

/** LocallySignedCert arguments (without CSR and CA material) for a leaf certificate of the plan. */
export function signedCertArgs(
  cert: CertificatePlan,
): Omit<tls.LocallySignedCertArgs, "certRequestPem" | "caCertPem" | "caPrivateKeyPem"> {
  return {
    allowedUses: [...cert.keyUsages, ...cert.extendedKeyUsages].map((u) => TLS_USAGE[u]),
    validityPeriodHours: cert.validityDays * DAY_HOURS,
    earlyRenewalHours: earlyRenewalHours(cert.validityDays),
  };
}

/** A certificate and its key, both PEM; the key is a Pulumi secret. */
export interface IssuedPair {
  readonly certPem: pulumi.Output<string>;
  readonly keyPem: pulumi.Output<string>;
  /** RFC 3339 end of validity. */
  readonly notAfter: pulumi.Output<string>;
}

/** Everything lib/pki plans, issued. Keys of `leaves`: `<node>/<certificate id>`. */
export interface IssuedPki {
  readonly authorities: ReadonlyMap<CaId, IssuedPair>;
  readonly leaves: ReadonlyMap<string, IssuedPair>;
  readonly users: ReadonlyMap<string, IssuedPair>;
  readonly serviceAccount: {
    readonly privateKeyPem: pulumi.Output<string>;
    readonly publicKeyPem: pulumi.Output<string>;
  };
  /** The 32 random bytes of the encryption-at-rest key, base64, secret. */
  readonly encryptionKeyBase64: pulumi.Output<string>;
}

/** The key of a node's certificate in {@link IssuedPki.leaves}. */
export function leafKey(node: string, certificateId: string): string {
  return `${node}/${certificateId}`;
}

/**
 * Issues the whole plan: a self-signed certificate per CA, a key, CSR and CA-signed certificate per
 * leaf and user, the service-account key pair and the encryption key. Resource names derive from
 * node and certificate ids, so a node's credentials are replaced only when its own plan changes.
 */
export function issuePki(prefix: string, plan: PkiPlan, parent: pulumi.Resource): IssuedPki {
  const opts = { parent };
  const keyArgs = privateKeyArgs(plan.keyAlgorithm);
  const key = (name: string) => new tls.PrivateKey(`${prefix}-${name}-key`, keyArgs, opts);

  const authorities = new Map<CaId, IssuedPair & { readonly caKeyPem: pulumi.Output<string> }>();
  for (const ca of plan.authorities) {
    const caKey = key(ca.id);
    const cert = new tls.SelfSignedCert(
      `${prefix}-${ca.id}`,
      { ...caCertArgs(ca), privateKeyPem: caKey.privateKeyPem },
      opts,
    );
    const keyPem = pulumi.secret(caKey.privateKeyPem);
    authorities.set(ca.id, {
      certPem: cert.certPem,
      keyPem,
      caKeyPem: keyPem,
      notAfter: cert.validityEndTime,
    });
  }

  // Certificates of one node and key group share one key (lib/pki/plan.ts `keyGroup`).
  const groupKeys = new Map<string, tls.PrivateKey>();
  const issue = (name: string, cert: CertificatePlan, keyGroupName?: string): IssuedPair => {
    const ca = authorities.get(cert.ca);
    if (!ca) throw new Error(`internal: certificate '${name}' names unknown CA '${cert.ca}'`);
    let leafKeyResource = keyGroupName ? groupKeys.get(keyGroupName) : undefined;
    if (!leafKeyResource) {
      leafKeyResource = key(keyGroupName ?? name);
      if (keyGroupName) groupKeys.set(keyGroupName, leafKeyResource);
    }
    const csr = new tls.CertRequest(
      `${prefix}-${name}-csr`,
      { ...certRequestArgs(cert), privateKeyPem: leafKeyResource.privateKeyPem },
      opts,
    );
    const signed = new tls.LocallySignedCert(
      `${prefix}-${name}`,
      {
        ...signedCertArgs(cert),
        certRequestPem: csr.certRequestPem,
        caCertPem: ca.certPem,
        caPrivateKeyPem: ca.caKeyPem,
      },
      opts,
    );
    return {
      certPem: signed.certPem,
      keyPem: pulumi.secret(leafKeyResource.privateKeyPem),
      notAfter: signed.validityEndTime,
    };
  };

  const leaves = new Map<string, IssuedPair>();
  for (const node of plan.nodes) {
    for (const cert of node.certificates) {
      const group = cert.keyGroup ? `${node.node}-${cert.keyGroup}` : undefined;
      leaves.set(leafKey(node.node, cert.id), issue(`${node.node}-${cert.id}`, cert, group));
    }
  }
  const users = new Map<string, IssuedPair>();
  for (const user of plan.users) users.set(user.id, issue(`user-${user.id}`, user));

  const saKey = key("service-account");
  const encryptionKey = new random.RandomBytes(`${prefix}-encryption-key`, { length: 32 }, opts);
  return {
    authorities,
    leaves,
    users,
    serviceAccount: { privateKeyPem: pulumi.secret(saKey.privateKeyPem), publicKeyPem: saKey.publicKeyPem },
    encryptionKeyBase64: pulumi.secret(encryptionKey.base64),
  };
}
