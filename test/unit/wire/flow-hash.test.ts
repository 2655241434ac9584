import { describe, expect, it } from "vitest";
import { flowHash, flowPortFromHash, flowSourcePort, FLOW_PORT_MAX, FLOW_PORT_MIN } from "../../../src/wire/flow-hash.js";
import { stripVlanTag } from "../../../src/wire/ethernet.js";
import { TCP_PSH_ACK, TCP_SYN_MSS, UDP6, VXLAN6_TAGGED, VXLAN_ARP } from "./vectors.js";

function tcpFrame(srcPort: number, payload = "hello\n"): Buffer {
  const buf = Buffer.concat([TCP_PSH_ACK.subarray(0, 54), Buffer.from(payload)]);
  buf.writeUInt16BE(20 + 20 + payload.length, 16);
  buf.writeUInt16BE(srcPort, 34);
  return buf;
}

describe("flow hash and outer source port", () => {
  it("gives the vectors' outer source ports (tshark udp.srcport 45730 and 59955)", () => {
    expect(flowSourcePort(VXLAN_ARP, 50, 42)).toBe(45730);
    expect(flowSourcePort(VXLAN6_TAGGED, 70, 54)).toBe(59955);
  });

  it("keeps every packet of a TCP flow on one port, whatever their flags, sequence or length", () => {
    const syn = flowSourcePort(TCP_SYN_MSS, 0, TCP_SYN_MSS.length);
    expect(flowSourcePort(TCP_PSH_ACK, 0, TCP_PSH_ACK.length)).toBe(syn);
    const big = tcpFrame(40000, "x".repeat(1400));
    expect(flowSourcePort(big, 0, big.length)).toBe(syn);
  });

  it("spreads flows that differ only in their source port over the range", () => {
    const ports = new Set<number>();
    for (let p = 1024; p < 1024 + 2000; p++) {
      const frame = tcpFrame(p);
      const port = flowSourcePort(frame, 0, frame.length);
      expect(port).toBeGreaterThanOrEqual(FLOW_PORT_MIN);
      expect(port).toBeLessThan(FLOW_PORT_MAX);
      ports.add(port);
    }
    expect(ports.size).toBeGreaterThan(1900);
  });

  it("ignores ports in IPv4 fragments, so a flow's fragments stay together", () => {
    const a = tcpFrame(40000);
    const b = tcpFrame(40001);
    a.writeUInt16BE(0x2000, 20); // MF
    b.writeUInt16BE(0x2000, 20);
    expect(flowHash(a, 0, a.length)).toBe(flowHash(b, 0, b.length));
  });

  it("uses IPv6 addresses and UDP ports", () => {
    const other = Buffer.from(UDP6);
    other.writeUInt16BE(5002, 54);
    expect(flowHash(other, 0, other.length)).not.toBe(flowHash(UDP6, 0, UDP6.length));
    const sameFlow = Buffer.from(UDP6);
    sameFlow.fill(0x41, 62);
    expect(flowHash(sameFlow, 0, sameFlow.length)).toBe(flowHash(UDP6, 0, UDP6.length));
  });

  it("looks past a VLAN tag to the IP flow, hashing a tagged frame like the same frame untagged", () => {
    const tagged = Buffer.from(VXLAN6_TAGGED.subarray(70)); // 802.1Q VID 100, then IPv4 at 18
    const otherSource = Buffer.from(tagged);
    otherSource[18 + 15] ^= 1; // inner IPv4 source 10.0.0.0
    expect(flowHash(otherSource, 0, otherSource.length)).not.toBe(flowHash(tagged, 0, tagged.length));
    const slab = Buffer.from(tagged);
    const start = stripVlanTag(slab, 0);
    expect(flowHash(slab, start, slab.length - start)).toBe(flowHash(tagged, 0, tagged.length));
  });

  it("never throws on short or odd frames", () => {
    expect(() => flowHash(Buffer.alloc(3), 0, 3)).not.toThrow();
    expect(() => flowHash(TCP_SYN_MSS, 0, 20)).not.toThrow();
    expect(() => flowHash(TCP_SYN_MSS, 0, 36)).not.toThrow();
    expect(() => flowHash(UDP6, 0, 40)).not.toThrow();
    expect(() => flowHash(VXLAN_ARP, 80, 100)).not.toThrow();
  });

  it("maps a hash into [min, max) like udp_flow_src_port", () => {
    expect(flowPortFromHash(0)).toBe(FLOW_PORT_MIN);
    expect(flowPortFromHash(0xffffffff)).toBeLessThan(FLOW_PORT_MAX);
    expect(flowPortFromHash(0x0000ffff)).toBe(FLOW_PORT_MAX - 1); // low half folded into the high bits
    expect(flowPortFromHash(0x80000000, 1000, 2000)).toBe(1500);
  });
});
