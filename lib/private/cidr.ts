import ipaddr from "ipaddr.js";

/**
 * IPv4 CIDR arithmetic on top of ipaddr.js.
 * @internal
 */
export interface Ipv4Cidr {
  /** The network address (host bits zero). */
  readonly network: number;
  readonly prefix: number;
}

function toInt(address: ipaddr.IPv4): number {
  const [a = 0, b = 0, c = 0, d = 0] = address.toByteArray();
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

function fromInt(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** True for a dotted-quad IPv4 address in its canonical four-part form. */
export function isIpv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** Parses an IPv4 address into its 32-bit value. Throws on anything else. */
export function ipv4ToInt(text: string): number {
  return toInt(ipaddr.IPv4.parse(text));
}

export type CidrParse =
  | { readonly ok: true; readonly cidr: Ipv4Cidr }
  | { readonly ok: false; readonly reason: "syntax" | "ipv6" | "host-bits"; readonly suggestion?: string };

/** Parses `a.b.c.d/n`; rejects IPv6 and CIDRs whose host bits are set (suggesting the network address). */
export function parseCidr(text: string): CidrParse {
  // Checked before the "/" so a bare IPv6 address gets the IPv6 message, not a syntax error.
  if (text.includes(":")) return { ok: false, reason: "ipv6" };
  const parts = text.split("/");
  if (parts.length !== 2) return { ok: false, reason: "syntax" };
  const [addressText = "", prefixText = ""] = parts;
  // Canonical prefix only (no "/08"): the text is passed on verbatim to component flags.
  if (!isIpv4(addressText) || !/^(0|[1-9]\d?)$/.test(prefixText)) return { ok: false, reason: "syntax" };
  const prefix = Number(prefixText);
  if (prefix > 32) return { ok: false, reason: "syntax" };
  const address = ipv4ToInt(addressText);
  const network = (address & maskOf(prefix)) >>> 0;
  if (network !== address) {
    return { ok: false, reason: "host-bits", suggestion: `${fromInt(network)}/${prefix}` };
  }
  return { ok: true, cidr: { network, prefix } };
}

/** Parses a CIDR known to be valid (validated earlier). */
export function mustParseCidr(text: string): Ipv4Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`internal: invalid CIDR ${text} (${parsed.reason})`);
  return parsed.cidr;
}

/** Number of addresses in the block. */
export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** The n-th address of the block (n = 0 is the network address). Throws when the block is too small. */
export function nthAddress(cidr: Ipv4Cidr, n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= cidrSize(cidr)) {
    throw new RangeError(`address #${n} is outside ${formatCidr(cidr)}`);
  }
  return fromInt(cidr.network + n);
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${fromInt(cidr.network)}/${cidr.prefix}`;
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  const mask = maskOf(prefix);
  return (a.network & mask) >>> 0 === (b.network & mask) >>> 0;
}

/** True when the address lies inside the block. */
export function cidrContains(cidr: Ipv4Cidr, address: string): boolean {
  const mask = maskOf(cidr.prefix);
  return (ipv4ToInt(address) & mask) >>> 0 === cidr.network;
}
