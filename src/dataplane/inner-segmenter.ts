// Plain TAPs: an inner TCP frame longer than the link takes, cut into segments that fit.
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "../wire/ethernet.js";
import { IPPROTO_TCP } from "../wire/ip.js";
import { VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_HDR_LEN, writeVirtioNetHdr } from "../wire/virtio-net.js";
import { TSO_MAX_SEGMENTS_PER_MESSAGE, TSO_MIN_MSS } from "../io/native-abi.js";
import { SegmentScratch } from "./offload.js";

/**
 * A sender's TCP GSO packet reaches a plain UDP socket whole when it crossed a same-host
 * underlay (veth, bridge): one tunnel header, one inner frame of up to 64 KiB. A TAP without
 * IFF_VNET_HDR cannot take it as one, so the native TSO splitter cuts it into MSS segments with
 * complete checksums (no tunnel header in front: encapLen 0). One frame at a time; the
 * segments stay valid until the next split.
 */
export class InnerSegmenter {
  private readonly scratch: SegmentScratch;
  private readonly maxMessage: number;
  /** Segment k lies at buffer[offsets[k], offsets[k] + lengths[k]). */
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  count = 0;

  /** linkFrame: the largest untagged frame the TAPs' links take (overlay MTU + 14). */
  constructor(private readonly linkFrame: number) {
    const bytes = SegmentScratch.bytesFor(1);
    this.scratch = new SegmentScratch(Buffer.alloc(bytes), 0, bytes);
    this.maxMessage = TSO_MAX_SEGMENTS_PER_MESSAGE * linkFrame;
    const most = Math.ceil(65535 / TSO_MIN_MSS) + 1;
    this.offsets = new Uint32Array(most);
    this.lengths = new Uint32Array(most);
  }

  get buffer(): Buffer {
    return this.scratch.slab;
  }

  /**
   * Cuts the untagged TCP/IPv4 or TCP/IPv6 frame at slab[off, off+len) into segments of at most
   * linkFrame bytes; writes a virtio-net header into the 10 bytes before off (the tunnel
   * header, already read). False when the frame is not such a frame or cannot be cut.
   */
  split(slab: Buffer, off: number, len: number): boolean {
    this.count = 0;
    if (off < VIRTIO_NET_HDR_LEN || len < 14 + 40) return false;
    const type = slab.readUInt16BE(off + 12);
    let l4: number;
    let gso: number;
    if (type === ETHERTYPE_IPV4 && slab[off + 14]! >> 4 === 4 && slab[off + 23] === IPPROTO_TCP) {
      l4 = 14 + (slab[off + 14]! & 0x0f) * 4;
      gso = VIRTIO_NET_HDR_GSO_TCPV4;
    } else if (type === ETHERTYPE_IPV6 && slab[off + 14]! >> 4 === 6 && slab[off + 20] === IPPROTO_TCP) {
      l4 = 14 + 40;
      gso = VIRTIO_NET_HDR_GSO_TCPV6;
    } else {
      return false;
    }
    if (l4 + 20 > len) return false;
    const hdrs = l4 + (slab[off + l4 + 12]! >> 4) * 4;
    if (hdrs >= this.linkFrame) return false;
    writeVirtioNetHdr(slab, off - VIRTIO_NET_HDR_LEN, 0, gso, hdrs, this.linkFrame - hdrs, 0, 0);
    this.scratch.reset();
    const messages = this.scratch.split(off, len, 0, this.maxMessage, slab);
    if (messages <= 0) return false;
    const m = this.scratch.messages;
    for (let i = 0; i < messages; i++) {
      const start = m[3 * i]!;
      const total = m[3 * i + 1]!;
      const size = m[3 * i + 2]! || total;
      for (let o = 0; o < total && this.count < this.offsets.length; o += size) {
        this.offsets[this.count] = start + o;
        this.lengths[this.count++] = Math.min(size, total - o);
      }
    }
    return this.count > 0;
  }
}
