// Egress length checks: trunk runts, 802.1ad tags, frames longer than the overlay (answered with
// ICMP "fragmentation needed" / ICMPv6 "packet too big" toward the sender, like kernel vxlan).
import { describe, expect, it } from "vitest";
import { buildRig } from "../../helpers/dataplane-rig.js";
import { buildOffloadRig } from "../../helpers/offload-rig.js";
import { gsoFrame, tagged, tcpFrame, pattern } from "../../helpers/offload-frames.js";
import { checksumIsValid } from "../../../src/wire/checksum.js";
import { ipv6PseudoHeaderSum } from "../../../src/wire/ipv6.js";
import { TOO_BIG_BURST, TooBigResponder, buildTooBig } from "../../../src/dataplane/too-big.js";

const VNET = Buffer.alloc(10);

/** A TCP frame of exactly `len` bytes on the wire (IPv4 unless v6). */
function tcpOfLength(len: number, opts: { v6?: boolean; df?: boolean } = {}): Buffer {
  const headers = 14 + (opts.v6 ? 40 : 20) + 20;
  return tcpFrame({ payload: pattern(len - headers), v6: opts.v6, df: opts.df });
}

/** A trunk TAP (VLAN 100) that has read `frames` (each behind a zeroed virtio-net header) in one batch. */
function trunkEgress(frames: Buffer[]): ReturnType<typeof buildOffloadRig> {
  const rig = buildOffloadRig({ gso: false, trunkVlan: 100 });
  rig.socket.record = true;
  rig.tap.record = true;
  rig.tap.frames = frames.map((f) => Buffer.concat([VNET, f]));
  rig.tap.perBatch = frames.length;
  rig.egress.onReadable();
  return rig;
}

describe("egress on a trunk TAP: the length is checked again around the tag", () => {
  it("drops 16- and 17-byte tagged frames as runts instead of sending 12- and 13-byte inner frames", () => {
    const full = tagged(tcpOfLength(60), 100);
    const rig = trunkEgress([full.subarray(0, 16), full.subarray(0, 17)]);
    expect(rig.socket.sent).toHaveLength(0);
    expect(rig.stats.egress.toJSON().drops).toEqual({ runt: 2 });
  });

  it("drops a 14-byte frame rather than reading its VLAN from the previous frame's bytes in the slab", () => {
    const good = tagged(tcpOfLength(60), 100);
    // Same slot, read twice: first a full tagged frame, then one cut after the TPID.
    const rig = trunkEgress([good]);
    expect(rig.socket.sent).toHaveLength(1);
    rig.tap.frames = [Buffer.concat([VNET, good.subarray(0, 14)])];
    rig.egress.onReadable();
    expect(rig.socket.sent).toHaveLength(1);
    expect(rig.stats.egress.toJSON().drops).toEqual({ runt: 1 });
  });

  it("counts an 802.1ad (0x88a8) service tag apart from untagged frames", () => {
    const rig = trunkEgress([tagged(tcpOfLength(60), 100, 0x88a8)]);
    expect(rig.socket.sent).toHaveLength(0);
    expect(rig.stats.egress.toJSON().drops).toEqual({ serviceTag: 1 });
  });

  it("answers an oversize DF frame from VLAN 100 with an ICMP error tagged for VLAN 100", () => {
    const rig = trunkEgress([tagged(tcpOfLength(1514), 100)]);
    expect(rig.socket.sent).toHaveLength(0);
    expect(rig.stats.egress.toJSON().drops).toEqual({ tooBig: 1 });
    expect(rig.tap.written).toHaveLength(1);
    const answer = rig.tap.written[0]!.subarray(10);
    expect(answer.readUInt16BE(12)).toBe(0x8100);
    expect(answer.readUInt16BE(14) & 0xfff).toBe(100);
    expect(answer.readUInt16BE(16)).toBe(0x0800);
    expect(answer[18 + 20]).toBe(3);
    expect(answer[18 + 21]).toBe(4);
    expect(answer.readUInt16BE(18 + 26)).toBe(1450);
  });
});

describe("egress: frames longer than the segment's overlay MTU + 14 (+4 tagged)", () => {
  it("sends a frame of exactly MTU + 14 and one of MTU + 18 that carries its own tag", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    rig.taps[0]!.inbox.push(tcpOfLength(1464), tagged(tcpOfLength(1464), 7));
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent).toHaveLength(2);
    expect(rig.stats.egress.toJSON().drops).toEqual({});
  });

  it("answers a 1514-byte IPv4 DF frame with ICMP fragmentation needed (mtu 1450) toward the sender, not into the tunnel", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    const big = tcpOfLength(1514);
    rig.taps[0]!.inbox.push(big);
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent).toHaveLength(0);
    expect(rig.stats.egress.toJSON().drops).toEqual({ tooBig: 1 });
    const written = rig.taps[0]!.written;
    expect(written).toHaveLength(1);
    const a = written[0]!;
    // Ethernet: to the sender, from the destination.
    expect(a.subarray(0, 6).equals(big.subarray(6, 12))).toBe(true);
    expect(a.subarray(6, 12).equals(big.subarray(0, 6))).toBe(true);
    expect(a.readUInt16BE(12)).toBe(0x0800);
    // IPv4: destination -> source, ICMP, valid header checksum, 576 bytes at most.
    expect(a.subarray(26, 30).equals(big.subarray(30, 34))).toBe(true);
    expect(a.subarray(30, 34).equals(big.subarray(26, 30))).toBe(true);
    expect(a[23]).toBe(1);
    expect(a.readUInt16BE(16)).toBe(576);
    expect(a.length).toBe(14 + 576);
    expect(checksumIsValid(a, 14, 20)).toBe(true);
    // ICMP type 3 code 4, next-hop MTU 1450, the original IP header quoted, valid checksum.
    expect([a[34], a[35]]).toEqual([3, 4]);
    expect(a.readUInt16BE(40)).toBe(1450);
    expect(a.subarray(42, 62).equals(big.subarray(14, 34))).toBe(true);
    expect(checksumIsValid(a, 34, a.length - 34)).toBe(true);
  });

  it("answers a 1514-byte IPv6 frame with ICMPv6 packet too big (mtu 1450), checksum over the pseudo header", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    const big = tcpOfLength(1514, { v6: true });
    rig.taps[0]!.inbox.push(big);
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent).toHaveLength(0);
    const a = rig.taps[0]!.written[0]!;
    expect(a.readUInt16BE(12)).toBe(0x86dd);
    expect(a[20]).toBe(58);
    expect(a.subarray(22, 38).equals(big.subarray(38, 54))).toBe(true);
    expect(a.subarray(38, 54).equals(big.subarray(22, 38))).toBe(true);
    expect(a.length).toBe(14 + 1280);
    expect(a[54]).toBe(2);
    expect(a.readUInt32BE(58)).toBe(1450);
    const payload = a.length - 54;
    expect(checksumIsValid(a, 54, payload, ipv6PseudoHeaderSum(a, 14, 58, payload))).toBe(true);
  });

  it("drops an oversize IPv4 frame without DF and counts it as oversize, answering nothing", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    rig.taps[0]!.inbox.push(tcpOfLength(1500, { df: false }));
    rig.egress[0]!.onReadable();
    expect(rig.socket.sent).toHaveLength(0);
    expect(rig.taps[0]!.written).toHaveLength(0);
    expect(rig.stats.egress.toJSON().drops).toEqual({ oversize: 1 });
  });

  it("answers at most a burst of oversize frames at once; the rest are counted oversize", () => {
    const rig = buildRig([42], ["198.18.0.2"]);
    for (let i = 0; i < 50; i++) rig.taps[0]!.inbox.push(tcpOfLength(1500));
    rig.egress[0]!.onReadable();
    expect(rig.taps[0]!.written).toHaveLength(TOO_BIG_BURST);
    expect(rig.stats.egress.toJSON().drops).toEqual({ tooBig: TOO_BIG_BURST, oversize: 50 - TOO_BIG_BURST });
  });
});

describe("egress: TCP super-frames whose segments do not fit the overlay (a container at MTU 1500 with TSO)", () => {
  it("answers a super-frame cut at MSS 1448 with ICMP fragmentation needed, mtu 1450, and sends nothing", () => {
    const rig = buildOffloadRig({ gso: true });
    rig.socket.record = true;
    rig.tap.record = true;
    rig.tap.frames = [gsoFrame(tcpFrame({ payload: pattern(1448 * 4) }), 1448)];
    rig.tap.perBatch = 1;
    rig.egress.onReadable();
    expect(rig.socket.sent).toHaveLength(0);
    expect(rig.stats.egress.toJSON().drops).toEqual({ tooBig: 1 });
    const answer = rig.tap.written[0]!.subarray(10);
    expect([answer[34], answer[35]]).toEqual([3, 4]);
    expect(answer.readUInt16BE(40)).toBe(1450);
  });

  it("splits and sends a super-frame whose segments fit (MSS 1398 = 1450 - 52)", () => {
    const rig = buildOffloadRig({ gso: true });
    rig.socket.record = true;
    rig.tap.frames = [gsoFrame(tcpFrame({ payload: pattern(1398 * 4) }), 1398)];
    rig.tap.perBatch = 1;
    rig.egress.onReadable();
    expect(rig.socket.sent.length).toBeGreaterThan(0);
    expect(rig.stats.egress.toJSON().drops).toEqual({});
  });
});

describe("buildTooBig: what gets no answer", () => {
  const out = Buffer.alloc(2048);
  it("an ICMP error, a later fragment, a multicast source or destination, a group source MAC, non-IP", () => {
    const icmpError = tcpOfLength(1500);
    icmpError[23] = 1;
    icmpError[34] = 3;
    expect(buildTooBig(icmpError, 0, icmpError.length, 1450, out)).toBe(0);
    const echo = Buffer.from(icmpError);
    echo[34] = 8;
    expect(buildTooBig(echo, 0, echo.length, 1450, out)).toBeGreaterThan(0);
    const fragment = tcpOfLength(1500);
    fragment.writeUInt16BE(0x4000 | 100, 20);
    expect(buildTooBig(fragment, 0, fragment.length, 1450, out)).toBe(0);
    const toGroup = tcpOfLength(1500);
    toGroup[30] = 239;
    expect(buildTooBig(toGroup, 0, toGroup.length, 1450, out)).toBe(0);
    const fromGroupMac = tcpOfLength(1500);
    fromGroupMac[6] = 0x01;
    expect(buildTooBig(fromGroupMac, 0, fromGroupMac.length, 1450, out)).toBe(0);
    const arpish = tcpOfLength(1500);
    arpish.writeUInt16BE(0x88b5, 12);
    expect(buildTooBig(arpish, 0, arpish.length, 1450, out)).toBe(0);
    expect(buildTooBig(arpish, 0, 20, 1450, out)).toBe(0);
  });

  it("refills the rate limit over time", () => {
    let t = 0;
    const sent: number[] = [];
    const r = new TooBigResponder({ copy: (_p, _b, _o, len) => (sent.push(len), true) }, 10, 2, () => t);
    const big = tcpOfLength(1500);
    const port = undefined as never;
    expect([r.answer(port, big, 0, big.length, 1450), r.answer(port, big, 0, big.length, 1450), r.answer(port, big, 0, big.length, 1450)]).toEqual([true, true, false]);
    t = 100;
    expect(r.answer(port, big, 0, big.length, 1450)).toBe(true);
    expect(r.rateLimited).toBe(1);
    expect(r.answered).toBe(3);
  });
});
