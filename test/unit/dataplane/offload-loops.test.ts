// The loops with virtio-net TAPs: super-frames split toward peers, partial checksums finished,
// tunnel trains written to the TAP as GSO super-frames, plain frames behind zeroed headers.
import { describe, expect, it } from "vitest";
import { parseAddress } from "../../../src/io/address.js";
import { ipv4ChecksumIsValid } from "../../../src/wire/ipv4.js";
import { tcpChecksumIsValid } from "../../../src/wire/tcp.js";
import {
  completePartialChecksum, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, vnetFlags, vnetGsoSize, vnetGsoType,
} from "../../../src/wire/virtio-net.js";
import { gsoFrame, pattern, tagged, tcpFrame, vxlanPacket } from "../../helpers/offload-frames.js";
import { buildOffloadRig, PEER_ADDRESS, type OffloadRig } from "../../helpers/offload-rig.js";

const FROM_PEER = parseAddress(PEER_ADDRESS);

/** The frame as the remote side sends it: MACs swapped (B -> A). */
function fromRemote(frame: Buffer): Buffer {
  const f = Buffer.from(frame);
  frame.copy(f, 0, 6, 12);
  frame.copy(f, 6, 0, 6);
  return f;
}

/** Teaches the switch that the remote MAC lives behind the peer (one ingress packet). */
function learnRemote(rig: OffloadRig): void {
  rig.socket.datagrams = [{ bytes: vxlanPacket(42, fromRemote(tcpFrame({ payload: Buffer.alloc(0) }))), seg: 0, from: FROM_PEER }];
  rig.socket.perBatch = 1;
  rig.ingress.onReadable();
  rig.socket.datagrams = [];
}

function checkSegment(seg: Buffer, payload: Buffer, k: number, mss: number): void {
  const f = seg.subarray(8);
  expect(seg.subarray(0, 8).toString("hex")).toBe("0800000000002a00");
  expect(ipv4ChecksumIsValid(f, 14)).toBe(true);
  expect(tcpChecksumIsValid(f, 14, 34, f.length - 34)).toBe(true);
  expect(f.subarray(54).equals(payload.subarray(k * mss, (k + 1) * mss))).toBe(true);
}

describe("egress with a virtio-net TAP", () => {
  it("sends a TSO super-frame to the learned peer as one UDP_SEGMENT message of MSS segments", () => {
    const rig = buildOffloadRig({ gso: true });
    learnRemote(rig);
    const payload = pattern(4000);
    rig.tap.frames = [gsoFrame(tcpFrame({ payload }), 1398)];
    rig.tap.perBatch = 1;
    rig.socket.record = true;
    rig.egress.onReadable();
    expect(rig.socket.sent).toHaveLength(1);
    const msg = rig.socket.sent[0]!;
    expect(msg.to).toBe(PEER_ADDRESS);
    expect(msg.segSize).toBe(8 + 54 + 1398);
    expect(msg.bytes.length).toBe(2 * (8 + 54 + 1398) + 8 + 54 + 1204);
    for (let k = 0; k < 3; k++) checkSegment(msg.bytes.subarray(k * msg.segSize, (k + 1) * msg.segSize), payload, k, 1398);
    expect(rig.stats.egress.frames).toBe(3);
    expect(rig.peer.txFrames).toBe(3);
  });

  it("sends one datagram per segment on a socket without UDP_SEGMENT (node:dgram)", () => {
    const rig = buildOffloadRig({ gso: false });
    learnRemote(rig);
    const payload = pattern(4000, 9);
    rig.tap.frames = [gsoFrame(tcpFrame({ payload }), 1398)];
    rig.tap.perBatch = 1;
    rig.socket.record = true;
    rig.egress.onReadable();
    expect(rig.socket.sent.map((m) => [m.bytes.length, m.segSize])).toEqual([[1460, 0], [1460, 0], [8 + 54 + 1204, 0]]);
    rig.socket.sent.forEach((m, k) => checkSegment(m.bytes, payload, k, 1398));
  });

  it("finishes the partial checksum of a frame that is not a super-frame", () => {
    const rig = buildOffloadRig({ gso: true });
    learnRemote(rig);
    const partial = gsoFrame(tcpFrame({ payload: pattern(700) }), 0);
    partial[1] = 0;
    rig.tap.frames = [partial];
    rig.tap.perBatch = 1;
    rig.socket.record = true;
    rig.egress.onReadable();
    expect(rig.socket.sent).toHaveLength(1);
    const f = rig.socket.sent[0]!.bytes.subarray(8);
    expect(f.length).toBe(54 + 700);
    expect(tcpChecksumIsValid(f, 14, 34, f.length - 34)).toBe(true);
  });

  it("floods a super-frame with an unknown destination to every peer, split once", () => {
    const rig = buildOffloadRig({ gso: true });
    rig.tap.frames = [gsoFrame(tcpFrame({ payload: pattern(3000) }), 1000)];
    rig.tap.perBatch = 1;
    rig.socket.record = true;
    rig.egress.onReadable();
    expect(rig.socket.sent.map((m) => [m.to, m.segSize])).toEqual([[PEER_ADDRESS, 8 + 54 + 1000]]);
    expect(rig.stats.egress.flooded).toBe(1);
  });
});

describe("ingress to a virtio-net TAP", () => {
  it("writes a GRO train of one TCP flow as one GSO super-frame, and other frames behind a zeroed header", () => {
    const rig = buildOffloadRig({ gso: true });
    rig.tap.record = true;
    const segs = [0, 1, 2].map((k) => fromRemote(tcpFrame({ seq: 100 + k * 1000, ipId: 5 + k, flags: k === 2 ? 0x18 : 0x10, payload: pattern(1000, k) })));
    const arp = Buffer.concat([Buffer.from("ffffffffffff020000000b0b0806", "hex"), pattern(28)]);
    rig.socket.datagrams = [
      { bytes: Buffer.concat(segs.map((s) => vxlanPacket(42, s))), seg: 8 + segs[0]!.length, from: FROM_PEER },
      { bytes: vxlanPacket(42, arp), seg: 0, from: FROM_PEER },
    ];
    rig.socket.perBatch = 2;
    rig.ingress.onReadable();
    expect(rig.tap.written).toHaveLength(2);
    const [big, plain] = rig.tap.written as [Buffer, Buffer];
    expect(vnetFlags(big, 0)).toBe(VIRTIO_NET_HDR_F_NEEDS_CSUM);
    expect(vnetGsoType(big, 0)).toBe(VIRTIO_NET_HDR_GSO_TCPV4);
    expect(vnetGsoSize(big, 0)).toBe(1000);
    const f = Buffer.from(big.subarray(10));
    expect(f.length).toBe(54 + 3000);
    completePartialChecksum(f, 0, f.length, 34, 16);
    expect(tcpChecksumIsValid(f, 14, 34, f.length - 34)).toBe(true);
    expect(plain.subarray(0, 10).equals(Buffer.alloc(10))).toBe(true);
    expect(plain.subarray(10).equals(arp)).toBe(true);
    expect(rig.stats.ingress.frames).toBe(4);
    expect(rig.peer.rxFrames).toBe(4);
  });
});

describe("virtio-net headers on a trunk TAP", () => {
  it("strips the tag of a super-frame, keeps its header's offsets right and splits it", () => {
    const rig = buildOffloadRig({ gso: true, trunkVlan: 100 });
    rig.socket.datagrams = [{ bytes: vxlanPacket(42, fromRemote(tcpFrame({ payload: Buffer.alloc(0) }))), seg: 0, from: FROM_PEER }];
    rig.socket.perBatch = 1;
    rig.ingress.onReadable();
    const payload = pattern(3000, 5);
    // As a VLAN-aware bridge hands it over: the tag inline, csum_start counting it.
    const plain = gsoFrame(tcpFrame({ payload }), 1398);
    const frame = Buffer.concat([plain.subarray(0, 10), tagged(plain.subarray(10), 100)]);
    frame.writeUInt16LE(plain.readUInt16LE(2) + 4, 2);
    frame.writeUInt16LE(plain.readUInt16LE(6) + 4, 6);
    rig.tap.frames = [frame];
    rig.tap.perBatch = 1;
    rig.socket.record = true;
    rig.egress.onReadable();
    expect(rig.socket.sent).toHaveLength(1);
    const msg = rig.socket.sent[0]!;
    for (let k = 0; k < 3; k++) checkSegment(msg.bytes.subarray(k * msg.segSize, (k + 1) * msg.segSize), payload, k, 1398);
  });

  it("tags a coalesced super-frame for the trunk and moves its header's offsets along", () => {
    const rig = buildOffloadRig({ gso: true, trunkVlan: 100 });
    rig.tap.record = true;
    const segs = [0, 1].map((k) => fromRemote(tcpFrame({ seq: 100 + k * 1000, ipId: 5 + k, payload: pattern(1000, k) })));
    rig.socket.datagrams = [{ bytes: Buffer.concat(segs.map((s) => vxlanPacket(42, s))), seg: 8 + segs[0]!.length, from: FROM_PEER }];
    rig.socket.perBatch = 1;
    rig.ingress.onReadable();
    expect(rig.tap.written).toHaveLength(1);
    const w = rig.tap.written[0]!;
    expect(vnetGsoType(w, 0)).toBe(VIRTIO_NET_HDR_GSO_TCPV4);
    expect(w.readUInt16LE(6), "csum_start").toBe(38);
    expect(w.readUInt16LE(2), "hdr_len").toBe(58);
    const f = Buffer.from(w.subarray(10));
    expect(f.readUInt32BE(12)).toBe(0x81000064);
    completePartialChecksum(f, 0, f.length, 38, 16);
    expect(tcpChecksumIsValid(f, 18, 38, f.length - 38)).toBe(true);
  });
});
