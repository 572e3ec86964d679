import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cidrContains,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  type Ipv4Cidr,
  ipv4ToInt,
  isIpv4,
  mustParseCidr,
  nthAddress,
  parseCidr,
} from "../../lib/private/cidr";

const MAX = 2 ** 32 - 1;

/** An independent reference: the address as dotted quad, without going through the library. */
function dotted(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The network address of `value` under a prefix, computed with arithmetic instead of bit masks. */
function networkOf(value: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(value / size) * size;
}

const address = fc.integer({ min: 0, max: MAX });
const prefix = fc.integer({ min: 0, max: 32 });
const block: fc.Arbitrary<Ipv4Cidr> = fc
  .tuple(address, prefix)
  .map(([value, p]) => ({ network: networkOf(value, p), prefix: p }));

function parsed(text: string): Ipv4Cidr {
  const result = parseCidr(text);
  if (!result.ok) throw new Error(`${text}: ${result.reason}`);
  return result.cidr;
}

describe("parseCidr / formatCidr properties", () => {
  it("round-trips every network block through text", () => {
    fc.assert(
      fc.property(block, (cidr) => {
        const text = `${dotted(cidr.network)}/${cidr.prefix}`;
        expect(parsed(text)).toStrictEqual(cidr);
        expect(formatCidr(parsed(text))).toBe(text);
      }),
    );
  });

  it("rejects a block with host bits set and suggests its network address", () => {
    fc.assert(
      fc.property(address, prefix, (value, p) => {
        fc.pre(networkOf(value, p) !== value);
        const result = parseCidr(`${dotted(value)}/${p}`);
        const expected = `${dotted(networkOf(value, p))}/${p}`;
        expect(result).toStrictEqual({ ok: false, reason: "host-bits", suggestion: expected });
        expect(parseCidr(expected).ok).toBe(true);
      }),
    );
  });
});

describe("nthAddress properties", () => {
  it("stays inside the block and increases with n", () => {
    fc.assert(
      fc.property(
        // prefix at most 31, so every block has an n + 1
        fc
          .tuple(address, fc.integer({ min: 0, max: 31 }))
          .map(([value, p]) => ({ network: networkOf(value, p), prefix: p }))
          .chain((cidr) => fc.tuple(fc.constant(cidr), fc.integer({ min: 0, max: cidrSize(cidr) - 2 }))),
        ([cidr, n]) => {
          const here = nthAddress(cidr, n);
          const next = nthAddress(cidr, n + 1);
          expect(cidrContains(cidr, here)).toBe(true);
          expect(cidrContains(cidr, next)).toBe(true);
          expect(ipv4ToInt(next)).toBe(ipv4ToInt(here) + 1);
          expect(ipv4ToInt(here)).toBe(cidr.network + n);
        },
      ),
    );
  });

  it("throws a RangeError past the end of the block and for negative or fractional n", () => {
    fc.assert(
      fc.property(block, (cidr) => {
        expect(() => nthAddress(cidr, cidrSize(cidr))).toThrow(RangeError);
        expect(() => nthAddress(cidr, -1)).toThrow(RangeError);
        expect(() => nthAddress(cidr, 0.5)).toThrow(RangeError);
      }),
    );
  });
});

describe("cidrsOverlap properties", () => {
  it("is symmetric", () => {
    fc.assert(
      fc.property(block, block, (a, b) => {
        expect(cidrsOverlap(a, b)).toBe(cidrsOverlap(b, a));
      }),
    );
  });

  it("agrees with containment of the network addresses", () => {
    fc.assert(
      fc.property(block, block, (a, b) => {
        const either = cidrContains(a, dotted(b.network)) || cidrContains(b, dotted(a.network));
        expect(cidrsOverlap(a, b)).toBe(either);
      }),
    );
  });

  it("agrees with comparing the address ranges", () => {
    fc.assert(
      fc.property(block, block, (a, b) => {
        const aEnd = a.network + cidrSize(a) - 1;
        const bEnd = b.network + cidrSize(b) - 1;
        expect(cidrsOverlap(a, b)).toBe(a.network <= bEnd && b.network <= aEnd);
      }),
    );
  });

  it("finds overlap between a block and every block carved from it", () => {
    fc.assert(
      fc.property(
        block.chain((outer) =>
          fc.tuple(
            fc.constant(outer),
            fc.integer({ min: outer.prefix, max: 32 }),
            fc.integer({ min: 0, max: cidrSize(outer) - 1 }),
          ),
        ),
        ([outer, p, offset]) => {
          const inner = { network: networkOf(outer.network + offset, p), prefix: p };
          expect(cidrsOverlap(outer, inner)).toBe(true);
        },
      ),
    );
  });
});

describe("parseCidr edge cases", () => {
  it.each([
    ["0.0.0.0/0", 0, 0],
    ["255.255.255.255/32", MAX, 32],
    ["10.96.0.0/12", ipv4ToInt("10.96.0.0"), 12],
    ["192.0.2.7/32", ipv4ToInt("192.0.2.7"), 32],
  ])("parses %s", (text, network, p) => {
    expect(parseCidr(text)).toStrictEqual({ ok: true, cidr: { network, prefix: p } });
  });

  it.each([
    ["10.0.0.0/33", "syntax"],
    ["1.2.3/8", "syntax"],
    ["10.0.0.0", "syntax"],
    ["10.0.0.0/", "syntax"],
    ["/8", "syntax"],
    ["10.0.0.0/8/9", "syntax"],
    ["10.0.0.0/08", "syntax"],
    ["10.0.0.0/-1", "syntax"],
    ["010.0.0.0/8", "syntax"],
    [" 10.0.0.0/8", "syntax"],
    ["256.0.0.0/8", "syntax"],
    ["fd00::/8", "ipv6"],
    ["fd00::", "ipv6"],
    ["::ffff:10.0.0.0/104", "ipv6"],
  ])("rejects %s (%s)", (text, reason) => {
    const result = parseCidr(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.reason).toBe(reason);
  });

  it("suggests 0.0.0.0/0 for a /0 with host bits", () => {
    expect(parseCidr("10.1.2.3/0")).toStrictEqual({
      ok: false,
      reason: "host-bits",
      suggestion: "0.0.0.0/0",
    });
  });

  it("addresses the whole space in a /0 and one address in a /32", () => {
    const all = parsed("0.0.0.0/0");
    expect(cidrSize(all)).toBe(2 ** 32);
    expect(nthAddress(all, MAX)).toBe("255.255.255.255");
    expect(cidrContains(all, "255.255.255.255")).toBe(true);
    const one = parsed("255.255.255.255/32");
    expect(nthAddress(one, 0)).toBe("255.255.255.255");
    expect(() => nthAddress(one, 1)).toThrow(RangeError);
    expect(cidrContains(one, "255.255.255.254")).toBe(false);
    expect(cidrsOverlap(all, one)).toBe(true);
  });

  it("finds the 1st and 10th service addresses of a /28", () => {
    const service = parsed("10.96.0.0/28");
    expect(nthAddress(service, 1)).toBe("10.96.0.1");
    expect(nthAddress(service, 10)).toBe("10.96.0.10");
  });
});

describe("address helpers", () => {
  it("isIpv4 accepts only canonical dotted quads", () => {
    expect(isIpv4("192.0.2.1")).toBe(true);
    for (const text of ["192.0.2", "192.0.2.01", "0x7f.0.0.1", "192.0.2.256", "::1", ""]) {
      expect(isIpv4(text), text).toBe(false);
    }
  });

  it("ipv4ToInt matches the reference conversion and throws on garbage", () => {
    fc.assert(
      fc.property(address, (value) => {
        expect(ipv4ToInt(dotted(value))).toBe(value);
      }),
    );
    expect(() => ipv4ToInt("not-an-address")).toThrow();
  });

  it("mustParseCidr returns the block or throws for invalid input", () => {
    expect(mustParseCidr("10.244.0.0/16")).toStrictEqual({ network: ipv4ToInt("10.244.0.0"), prefix: 16 });
    expect(() => mustParseCidr("10.244.0.1/16")).toThrow(/host-bits/);
  });
});
