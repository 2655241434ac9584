import { describe, expect, it } from "vitest";
import { foldChecksum } from "../../../src/wire/checksum.js";
import { ipv4PseudoHeaderSum } from "../../../src/wire/ipv4.js";
import { IPPROTO_TCP } from "../../../src/wire/ip.js";
import { tcpChecksum } from "../../../src/wire/tcp.js";
import {
  checkVirtioNetHdr, clearVirtioNetHdr, completePartialChecksum, VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_HDR_GSO_UDP_L4, VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_MRG_LEN, setVnetFlags,
  setVnetGsoType, setVnetNumBuffers, vnetCsumOffset, vnetCsumStart, vnetFlags, vnetGsoSize, vnetGsoType, vnetHdrLen,
  vnetNumBuffers, VirtioNetReason, writeVirtioNetHdr,
} from "../../../src/wire/virtio-net.js";
import { TCP_PSH_ACK } from "./vectors.js";

/**
 * struct virtio_net_hdr as a TAP (IFF_VNET_HDR, TUNSETOFFLOAD TSO4) hands up a 64 KiB TCP/IPv4 super-frame on
 * x86: flags NEEDS_CSUM, gso_type TCPV4, hdr_len 66 (14 + 20 + 32), gso_size 1448, csum_start 34, csum_offset 16,
 * each 16-bit field little-endian (include/uapi/linux/virtio_net.h; virtio_net_hdr_from_skb).
 */
const TSO4_HDR = Buffer.from("0101" + "4200" + "a805" + "2200" + "1000", "hex");

function withFrame(hdr: Buffer, frameLen: number): Buffer {
  return Buffer.concat([hdr, Buffer.alloc(frameLen)]);
}

describe("virtio-net header", () => {
  it("reads the little-endian fields of a TSO super-frame's header", () => {
    const buf = withFrame(TSO4_HDR, 65000);
    expect(checkVirtioNetHdr(buf, 0, buf.length)).toBeNull();
    expect(vnetFlags(buf, 0)).toBe(VIRTIO_NET_HDR_F_NEEDS_CSUM);
    expect(vnetGsoType(buf, 0)).toBe(VIRTIO_NET_HDR_GSO_TCPV4);
    expect(vnetHdrLen(buf, 0)).toBe(66);
    expect(vnetGsoSize(buf, 0)).toBe(1448);
    expect(vnetCsumStart(buf, 0)).toBe(34);
    expect(vnetCsumOffset(buf, 0)).toBe(16);
  });

  it("writes the same ten bytes", () => {
    const buf = Buffer.alloc(10, 0xee);
    expect(writeVirtioNetHdr(buf, 0, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 66, 1448, 34, 16)).toBe(10);
    expect(buf).toEqual(TSO4_HDR);
  });

  it("clears to a plain frame with nothing to offload", () => {
    const buf = withFrame(TSO4_HDR, 60);
    clearVirtioNetHdr(buf, 0);
    expect(buf.subarray(0, 10)).toEqual(Buffer.alloc(10));
    expect(vnetGsoType(buf, 0) & ~VIRTIO_NET_HDR_GSO_ECN).toBe(VIRTIO_NET_HDR_GSO_NONE);
  });

  it("accepts every gso_type Linux sends, with or without ECN", () => {
    for (const gso of [VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_HDR_GSO_UDP_L4, 3,
      VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN]) {
      const buf = withFrame(TSO4_HDR, 200);
      buf[1] = gso;
      expect(checkVirtioNetHdr(buf, 0, buf.length), `gso_type ${gso}`).toBeNull();
    }
  });

  it("rejects an unknown gso_type", () => {
    const buf = withFrame(TSO4_HDR, 200);
    buf[1] = 2;
    expect(checkVirtioNetHdr(buf, 0, buf.length)).toBe(VirtioNetReason.badGsoType);
  });

  it("rejects a GSO frame without a segment size", () => {
    const buf = withFrame(TSO4_HDR, 200);
    buf.writeUInt16LE(0, 4);
    expect(checkVirtioNetHdr(buf, 0, buf.length)).toBe(VirtioNetReason.badGsoSize);
  });

  it("rejects a partial checksum whose field lies past the frame", () => {
    const buf = withFrame(TSO4_HDR, 34 + 17);
    expect(checkVirtioNetHdr(buf, 0, buf.length)).toBe(VirtioNetReason.badCsum);
    expect(checkVirtioNetHdr(withFrame(TSO4_HDR, 34 + 18), 0, 10 + 52)).toBeNull();
  });

  it("rejects fewer bytes than the header", () => {
    expect(checkVirtioNetHdr(TSO4_HDR, 0, 9)).toBe(VirtioNetReason.truncated);
    expect(checkVirtioNetHdr(withFrame(TSO4_HDR, 1), 0, 11, VIRTIO_NET_HDR_MRG_LEN)).toBe(VirtioNetReason.truncated);
  });

  it("finishes a partial checksum to the value tshark accepted (0x46dc)", () => {
    // As the kernel leaves CHECKSUM_PARTIAL: the TCP checksum field holds the folded pseudo-header sum.
    const frame = Buffer.from(TCP_PSH_ACK);
    frame.writeUInt16BE(foldChecksum(ipv4PseudoHeaderSum(frame, 14, IPPROTO_TCP, 26)), 34 + 16);
    completePartialChecksum(frame, 0, frame.length, 34, 16);
    expect(tcpChecksum(frame, 34)).toBe(0x46dc);
    expect(frame).toEqual(TCP_PSH_ACK);
  });
});

describe("virtio-net header as a whole", () => {
  /** needs checksum, data valid, GSO: what the flags and gso_type fields say. */
  const state = (buf: Buffer): boolean[] => [
    (vnetFlags(buf, 0) & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0,
    (vnetFlags(buf, 0) & VIRTIO_NET_HDR_F_DATA_VALID) !== 0,
    (vnetGsoType(buf, 0) & ~VIRTIO_NET_HDR_GSO_ECN) !== VIRTIO_NET_HDR_GSO_NONE,
  ];

  it("shows the offload state and where the frame starts", () => {
    const buf = withFrame(TSO4_HDR, 100);
    expect(checkVirtioNetHdr(buf, 0, buf.length)).toBeNull();
    expect(state(buf)).toEqual([true, false, true]);
    expect([VIRTIO_NET_HDR_LEN, buf.length - VIRTIO_NET_HDR_LEN]).toEqual([10, 100]);
    setVnetFlags(buf, 0, VIRTIO_NET_HDR_F_DATA_VALID);
    setVnetGsoType(buf, 0, VIRTIO_NET_HDR_GSO_NONE);
    expect(state(buf)).toEqual([false, true, false]);
  });

  it("reads and writes the 10-byte header", () => {
    const buf = withFrame(TSO4_HDR, 100);
    const fields = [vnetFlags, vnetGsoType, vnetHdrLen, vnetGsoSize, vnetCsumStart, vnetCsumOffset].map((f) => f(buf, 0));
    expect(fields).toEqual([1, 1, 66, 1448, 34, 16]);
    const out = Buffer.alloc(VIRTIO_NET_HDR_LEN);
    expect(writeVirtioNetHdr(out, 0, fields[0]!, fields[1]!, fields[2]!, fields[3]!, fields[4]!, fields[5]!)).toBe(10);
    expect(out).toEqual(TSO4_HDR);
  });

  it("carries num_buffers in a 12-byte header", () => {
    const buf = withFrame(Buffer.concat([TSO4_HDR, Buffer.from("0100", "hex")]), 100);
    expect(checkVirtioNetHdr(buf, 0, buf.length, VIRTIO_NET_HDR_MRG_LEN)).toBeNull();
    expect(vnetNumBuffers(buf, 0)).toBe(1);
    const out = Buffer.alloc(VIRTIO_NET_HDR_MRG_LEN);
    writeVirtioNetHdr(out, 0, 1, 1, 66, 1448, 34, 16);
    setVnetNumBuffers(out, 0, vnetNumBuffers(buf, 0));
    expect(out).toEqual(buf.subarray(0, 12));
    expect(VIRTIO_NET_HDR_MRG_LEN).toBe(12);
  });
});
