// shiftVnetHeader runs inside the poll callback: no header a TAP hands over may make it throw
// (issue 10: hdr_len/csum_start below 4 threw from writeUInt16LE and killed the process).
import { describe, expect, it } from "vitest";
import { shiftVnetHeader } from "../../src/wire/virtio-net.js";
import { VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, writeVirtioNetHdr } from "../../src/wire/virtio-net.js";
import { gsoFrame, pattern, tcpFrame } from "../helpers/offload-frames.js";
import { buildOffloadRig } from "../helpers/offload-rig.js";

describe("shiftVnetHeader", () => {
  it("clamps hdr_len and csum_start that a stripped tag would make negative to 0, without throwing", () => {
    const buf = Buffer.alloc(32);
    writeVirtioNetHdr(buf, 4, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 2, 1400, 3, 16);
    expect(() => shiftVnetHeader(buf, 4, 4)).not.toThrow();
    expect([buf.readUInt16LE(10), buf.readUInt16LE(12), buf.readUInt16LE(14), buf.readUInt16LE(16)]).toEqual([0, 1400, 0, 16]);
  });

  it("clamps offsets that an inserted tag would push past 65535", () => {
    const buf = Buffer.alloc(32);
    writeVirtioNetHdr(buf, 8, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 65534, 1400, 65533, 16);
    expect(() => shiftVnetHeader(buf, 8, -4)).not.toThrow();
    expect([buf.readUInt16LE(6), buf.readUInt16LE(10)]).toEqual([65535, 65535]);
  });

  it("never throws for any header bytes and either shift", () => {
    const buf = Buffer.alloc(24);
    for (let i = 0; i < 2000; i++) {
      for (let b = 4; b < 14; b++) buf[b] = (i * 37 + b * 101) & 0xff;
      expect(() => shiftVnetHeader(buf, 4, 4)).not.toThrow();
      expect(() => shiftVnetHeader(buf, 8, -4)).not.toThrow();
    }
  });
});

describe("a trunk TAP super-frame whose csum_start lies inside the VLAN tag", () => {
  it("is dropped as badOffload, the loop keeps running", () => {
    const rig = buildOffloadRig({ gso: true, trunkVlan: 100 });
    const plain = gsoFrame(tcpFrame({ payload: pattern(3000) }), 1398);
    const f = plain.subarray(10);
    const tagged = Buffer.concat([plain.subarray(0, 10), f.subarray(0, 12), Buffer.from([0x81, 0, 0, 100]), f.subarray(12)]);
    tagged.writeUInt16LE(2, 2); // hdr_len 2
    tagged.writeUInt16LE(2, 6); // csum_start 2
    rig.tap.frames = [tagged];
    rig.tap.perBatch = 1;
    rig.socket.record = true;
    expect(() => rig.egress.onReadable()).not.toThrow();
    expect(rig.socket.sent).toHaveLength(0);
    expect(rig.stats.egress.toJSON().drops).toEqual({ badOffload: 1 });
  });
});
