// Hand-built TCP/UDP frames and virtio-net headers for the offload tests (checksums from src/wire).
import { greHeaderLengthFor, writeGreHeader, type GreOptions } from "../../src/wire/gre.js";
import { fillIpv4Checksum } from "../../src/wire/ipv4.js";
import { pseudoHeaderSum } from "../../src/wire/ip.js";
import { foldChecksum } from "../../src/wire/checksum.js";
import { fillTcpChecksum } from "../../src/wire/tcp.js";
import { fillUdpChecksum } from "../../src/wire/udp.js";
import {
  VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_HDR_GSO_UDP_L4,
  writeVirtioNetHdr,
} from "../../src/wire/virtio-net.js";

export const MAC_A = "020000000a0a";
export const MAC_B = "020000000b0b";

export interface TcpFrameOptions {
  v6?: boolean;
  srcPort?: number;
  dstPort?: number;
  seq?: number;
  ack?: number;
  /** Default ACK. */
  flags?: number;
  window?: number;
  /** TCP options (a multiple of 4 bytes). */
  options?: Buffer;
  ipId?: number;
  /** IPv4 DF (default true). */
  df?: boolean;
  ttl?: number;
  payload: Buffer;
  /** Last byte of the source IPv4 address / IPv6 address (default 1). */
  src?: number;
}

/** Ethernet + IPv4/IPv6 + TCP with correct checksums. */
export function tcpFrame(o: TcpFrameOptions): Buffer {
  const v6 = o.v6 ?? false;
  const ipLen = v6 ? 40 : 20;
  const opts = o.options ?? Buffer.alloc(0);
  const thl = 20 + opts.length;
  const l4 = 14 + ipLen;
  const b = Buffer.alloc(l4 + thl + o.payload.length);
  Buffer.from(MAC_B + MAC_A, "hex").copy(b, 0);
  b.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  if (!v6) {
    b[14] = 0x45;
    b.writeUInt16BE(20 + thl + o.payload.length, 16);
    b.writeUInt16BE(o.ipId ?? 0x1234, 18);
    b[20] = (o.df ?? true) ? 0x40 : 0;
    b[22] = o.ttl ?? 64;
    b[23] = 6;
    b.set([10, 42, 0, o.src ?? 1], 26);
    b.set([10, 42, 0, 2], 30);
    fillIpv4Checksum(b, 14);
  } else {
    b.writeUInt32BE(0x60012345, 14);
    b.writeUInt16BE(thl + o.payload.length, 18);
    b[20] = 6;
    b[21] = o.ttl ?? 64;
    b.set(Buffer.from("fd000000000000000000000000000001", "hex"), 22);
    b[37] = o.src ?? 1;
    b.set(Buffer.from("fd000000000000000000000000000002", "hex"), 38);
  }
  b.writeUInt16BE(o.srcPort ?? 40000, l4);
  b.writeUInt16BE(o.dstPort ?? 5201, l4 + 2);
  b.writeUInt32BE((o.seq ?? 1000) >>> 0, l4 + 4);
  b.writeUInt32BE((o.ack ?? 7777) >>> 0, l4 + 8);
  b[l4 + 12] = (thl / 4) << 4;
  b[l4 + 13] = o.flags ?? 0x10;
  b.writeUInt16BE(o.window ?? 502, l4 + 14);
  opts.copy(b, l4 + 20);
  o.payload.copy(b, l4 + thl);
  fillTcpChecksum(b, 14, l4, thl + o.payload.length);
  return b;
}

/** Ethernet + IPv4 + UDP with correct checksums. */
export function udpFrame(payload: Buffer, ipId = 0x2000): Buffer {
  const b = Buffer.alloc(14 + 20 + 8 + payload.length);
  Buffer.from(MAC_B + MAC_A, "hex").copy(b, 0);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(28 + payload.length, 16);
  b.writeUInt16BE(ipId, 18);
  b[20] = 0x40;
  b[22] = 64;
  b[23] = 17;
  b.set([10, 42, 0, 1], 26);
  b.set([10, 42, 0, 2], 30);
  fillIpv4Checksum(b, 14);
  b.writeUInt16BE(5000, 34);
  b.writeUInt16BE(5001, 36);
  b.writeUInt16BE(8 + payload.length, 38);
  payload.copy(b, 42);
  fillUdpChecksum(b, 14, 34, 8 + payload.length);
  return b;
}

/** A payload whose bytes tell where they came from. */
export function pattern(len: number, seed = 0): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

/**
 * [virtio-net header][frame] as a TAP with TSO hands up a super-frame: NEEDS_CSUM with the
 * pseudo-header sum in the checksum field, GSO type from the frame, gso_size = mss.
 */
export function gsoFrame(frame: Buffer, mss: number): Buffer {
  const v6 = frame.readUInt16BE(12) === 0x86dd;
  const l3 = 14;
  const l4 = l3 + (v6 ? 40 : 20);
  const proto = v6 ? frame[l3 + 6]! : frame[l3 + 9]!;
  const udp = proto === 17;
  const l4hl = udp ? 8 : (frame[l4 + 12]! >> 4) * 4;
  const out = Buffer.alloc(10 + frame.length);
  frame.copy(out, 10);
  const f = out.subarray(10);
  const csumField = l4 + (udp ? 6 : 16);
  f.writeUInt16BE(foldChecksum(pseudoHeaderSum(f, l3, proto, frame.length - l4)), csumField);
  const gsoType = udp ? VIRTIO_NET_HDR_GSO_UDP_L4 : v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
  writeVirtioNetHdr(out, 0, VIRTIO_NET_HDR_F_NEEDS_CSUM, gsoType, l4 + l4hl, mss, l4, udp ? 6 : 16);
  return out;
}

/** A GRE (TEB) packet as the raw socket hands it up: GRE header, then the frame. */
export function grePacket(opts: GreOptions, inner: Buffer): Buffer {
  const hlen = greHeaderLengthFor(opts);
  const pkt = Buffer.alloc(hlen + inner.length);
  inner.copy(pkt, hlen);
  writeGreHeader(pkt, 0, opts, inner.length);
  return pkt;
}

/** VXLAN header (I flag, vni) in front of a frame. */
export function vxlanPacket(vni: number, inner: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x08;
  h.writeUIntBE(vni, 4, 3);
  return Buffer.concat([h, inner]);
}

/**
 * The frame as a same-host sender's CHECKSUM_PARTIAL leaves it: the TCP/UDP checksum field holds
 * only the folded pseudo-header sum (IPv4 or IPv6 without extension headers).
 */
export function partialFrame(frame: Buffer): Buffer {
  const f = Buffer.from(frame);
  const v6 = f.readUInt16BE(12) === 0x86dd;
  const l4 = 14 + (v6 ? 40 : (f[14]! & 0x0f) * 4);
  const proto = v6 ? f[20]! : f[23]!;
  const end = 14 + (v6 ? 40 + f.readUInt16BE(18) : f.readUInt16BE(16));
  f.writeUInt16BE(foldChecksum(pseudoHeaderSum(f, 14, proto, end - l4)), l4 + (proto === 17 ? 6 : 16));
  return f;
}

/** A copy of the frame with a VLAN tag (802.1Q unless another TPID is given) after the MAC addresses. */
export function tagged(frame: Buffer, vlan: number, tpid = 0x8100): Buffer {
  const tag = Buffer.from([tpid >> 8, tpid & 0xff, vlan >> 8, vlan & 0xff]);
  return Buffer.concat([frame.subarray(0, 12), tag, frame.subarray(12)]);
}
