// Every check in src/wire, on any bytes: it never throws, it judges only the bytes it was given, and what it
// accepts the getters read inside them; every writer's output reads back and passes its check.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkArp } from "../../../src/wire/arp.js";
import { checkEthernet } from "../../../src/wire/ethernet.js";
import { checkIcmp } from "../../../src/wire/icmp.js";
import { checkIpv4, ipv4Dst, ipv4HeaderLength, ipv4Protocol, ipv4Src, ipv4TotalLength, writeIpv4Header } from "../../../src/wire/ipv4.js";
import { checkIpv6, ipv6FlowLabel, ipv6NextHeader, ipv6PayloadLength, writeIpv6Header } from "../../../src/wire/ipv6.js";
import { checkTcp, tcpHeaderLength } from "../../../src/wire/tcp.js";
import { checkUdp, udpDstPort, udpLength, udpSrcPort, writeUdpHeader } from "../../../src/wire/udp.js";
import { checkVxlan, VNI_MAX, vxlanVni, writeVxlanHeader } from "../../../src/wire/vxlan.js";

type Check = (buf: Buffer, off: number, len: number) => string | null;

const CHECKS: [string, Check][] = [
  ["Ethernet", checkEthernet], ["ARP", checkArp], ["VXLAN", checkVxlan], ["IPv4", checkIpv4], ["IPv6", checkIpv6],
  ["UDP", checkUdp], ["TCP", checkTcp], ["ICMP", checkIcmp],
];

const packet = fc.record({
  bytes: fc.uint8Array({ minLength: 0, maxLength: 96 }),
  off: fc.integer({ min: -2, max: 100 }),
  len: fc.integer({ min: -2, max: 100 }),
});

describe("wire checks on arbitrary bytes", () => {
  for (const [name, check] of CHECKS) {
    it(`${name}: never throws, and judges buf[off, off+len) alone`, () => {
      fc.assert(fc.property(packet, ({ bytes, off, len }) => {
        const buf = Buffer.from(bytes);
        const reason = check(buf, off, len);
        if (reason === null) {
          // Accepted: the range lies in the buffer, and the same bytes on their own get the same verdict.
          expect(off >= 0 && len >= 0 && off + len <= buf.length).toBe(true);
          expect(check(Buffer.from(buf.subarray(off, off + len)), 0, len)).toBeNull();
        } else {
          expect(typeof reason).toBe("string");
        }
      }), { numRuns: 400 });
    });
  }

  it("IPv4, UDP and TCP: an accepted header's lengths stay inside what was checked", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (bytes) => {
      const buf = Buffer.from(bytes);
      if (checkIpv4(buf, 0, buf.length) === null) {
        expect(ipv4HeaderLength(buf, 0)).toBeGreaterThanOrEqual(20);
        expect(ipv4TotalLength(buf, 0)).toBeLessThanOrEqual(buf.length);
        expect(ipv4HeaderLength(buf, 0)).toBeLessThanOrEqual(ipv4TotalLength(buf, 0));
      }
      if (checkUdp(buf, 0, buf.length) === null) expect(udpLength(buf, 0)).toBeLessThanOrEqual(buf.length);
      if (checkTcp(buf, 0, buf.length) === null) expect(tcpHeaderLength(buf, 0)).toBeLessThanOrEqual(buf.length);
    }), { numRuns: 2000 });
  });
});

describe("wire writers round-trip through their getters", () => {
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u8 = fc.integer({ min: 0, max: 0xff });

  it("IPv4", () => {
    fc.assert(fc.property(u32, u32, u8, u8, u16, fc.boolean(), fc.integer({ min: 0, max: 200 }),
      (src, dst, protocol, ttl, ident, df, payload) => {
        const buf = Buffer.alloc(20 + payload);
        writeIpv4Header(buf, 0, { src, dst, protocol, ttl, tos: 0, ident, dontFragment: df }, payload);
        expect(checkIpv4(buf, 0, buf.length)).toBeNull();
        expect([ipv4Src(buf, 0), ipv4Dst(buf, 0), ipv4Protocol(buf, 0), ipv4TotalLength(buf, 0)]).toEqual([src, dst, protocol, 20 + payload]);
      }));
  });

  it("IPv6", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), u8, fc.integer({ min: 0, max: 0xfffff }),
      fc.integer({ min: 0, max: 200 }), (addr, next, flow, payload) => {
        const buf = Buffer.alloc(40 + payload);
        writeIpv6Header(buf, 0, { src: addr, dst: addr, nextHeader: next, hopLimit: 64, trafficClass: 0, flowLabel: flow }, payload);
        expect(checkIpv6(buf, 0, buf.length)).toBeNull();
        expect([ipv6NextHeader(buf, 0), ipv6FlowLabel(buf, 0), ipv6PayloadLength(buf, 0)]).toEqual([next, flow, payload]);
        expect(buf.subarray(8, 24)).toEqual(Buffer.from(addr));
      }));
  });

  it("UDP", () => {
    fc.assert(fc.property(u16, u16, fc.integer({ min: 0, max: 200 }), (sport, dport, payload) => {
      const buf = Buffer.alloc(8 + payload);
      writeUdpHeader(buf, 0, sport, dport, payload);
      expect(checkUdp(buf, 0, buf.length)).toBeNull();
      expect([udpSrcPort(buf, 0), udpDstPort(buf, 0), udpLength(buf, 0)]).toEqual([sport, dport, 8 + payload]);
    }));
  });

  it("VXLAN", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: VNI_MAX }), (vni) => {
      const buf = Buffer.alloc(8);
      writeVxlanHeader(buf, 0, vni);
      expect(checkVxlan(buf, 0, 8)).toBeNull();
      expect(vxlanVni(buf, 0)).toBe(vni);
    }));
  });
});
