// The capture observer: matching frames from the loops, copied as they are on the wire, into a bounded stream.
import type { RxBatch, TxBatch } from "../io/batch.js";
import type { TunnelSocket } from "../io/tunnel-socket.js";
import type { DataplaneObserver } from "../dataplane/observers.js";
import type { TapTable } from "../switch/tables.js";
import { ObserverStream, DEFAULT_STREAM_LIMITS, type StreamSummary } from "../control/observer-stream.js";
import type { StreamQueueLimits } from "../control/stream-queue.js";
import { TPID_8021Q } from "../wire/ethernet.js";
import { readMac } from "../wire/mac.js";
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, nowMicros, PCAP_DEFAULT_SNAPLEN } from "../wire/pcap.js";
import { VIRTIO_NET_HDR_LEN } from "../wire/virtio-net.js";
import { matchesFrame, matchesPeer, parseCaptureFilter, type CaptureFilter } from "./capture-filter.js";
import { outerPacket } from "./capture-outer.js";
import { parseTunnelPayload } from "./capture-tunnel.js";
import type { DebugView } from "./trace-view.js";

export interface CapturedFrame {
  /** Microseconds since the epoch. */
  t: number;
  data: Buffer;
}

/** The header a capture stream starts with: what the client needs for the pcap global header. */
export interface CaptureHeader {
  linktype: number;
  snaplen: number;
  outer: boolean;
  encap: "vxlan" | "gre";
}

/** The segment a TAP frame belongs to: the access port's, or the trunk VLAN's; -1 when none. */
function segmentOfTapFrame(tap: TapTable, buf: Buffer, off: number, len: number): number {
  if (!tap.trunk) return tap.access?.segment.id ?? -1;
  if (len < 18 || buf.readUInt16BE(off + 12) !== TPID_8021Q) return -1;
  return tap.byVlan.get(buf.readUInt16BE(off + 14) & 0x0fff)?.segment.id ?? -1;
}

export class CaptureObserver implements DataplaneObserver {
  constructor(
    private readonly view: DebugView,
    private readonly filter: CaptureFilter,
    private readonly outer: boolean,
    private readonly push: (frame: CapturedFrame) => void,
  ) {}

  /** Inner, TAP -> tunnel: the frames as the TAP gave them (virtio-net header removed; a trunk's tag kept). */
  egressBatch(rx: RxBatch, count: number, tap: TapTable): void {
    if (this.outer) return;
    const t = nowMicros();
    const slab = rx.slab;
    for (let i = 0; i < count; i++) {
      let off = rx.offsetOf(i);
      let len = rx.lengths[i]!;
      if (this.view.vnetHdr) {
        if (len <= VIRTIO_NET_HDR_LEN) continue;
        off += VIRTIO_NET_HDR_LEN;
        len -= VIRTIO_NET_HDR_LEN;
      }
      const vni = segmentOfTapFrame(tap, slab, off, len);
      if (!matchesFrame(this.filter, vni, slab, off, len)) continue;
      if (this.filter.peer !== undefined && !this.egressReaches(vni, slab, off, len)) continue;
      this.push({ t, data: Buffer.from(slab.subarray(off, off + len)) });
    }
  }

  /**
   * --peer on egress inner frames: the frame goes to that peer as the FDB stands (its entry, or a
   * flood of a segment the peer is in). The loop decides a moment later, so a MAC learned within
   * the same batch can make the two differ.
   */
  private egressReaches(vni: number, buf: Buffer, off: number, len: number): boolean {
    const seg = this.view.tables.current.segments.get(vni);
    const peer = this.view.tables.current.peers.lookup(this.filter.peer!, 0);
    if (seg === undefined || peer === undefined || len < 14) return false;
    const to = (buf[off]! & 1) === 1 ? -1 : this.view.fdb.lookup(vni, readMac(buf, off));
    return to < 0 ? seg.peers.includes(peer) : to === peer.id;
  }

  /** Outer, TAP -> tunnel: each datagram as sent (a GSO train cut into its segments). */
  egressSend(tx: TxBatch, socket: TunnelSocket): void {
    if (!this.outer) return;
    const t = nowMicros();
    const gre = this.view.encap === "gre";
    for (let i = 0; i < tx.count; i++) {
      if (!matchesPeer(this.filter, tx.dstAddrs, i * 16)) continue;
      const start = tx.offsets[i]!;
      const end = start + tx.lengths[i]!;
      const seg = tx.segSizes[i]! || end - start;
      for (let o = start; o < end; o += seg) {
        const len = Math.min(seg, end - o);
        const payload = parseTunnelPayload(this.view.encap, tx.slab, o, len);
        if (payload === undefined || !matchesFrame(this.filter, payload.id, tx.slab, payload.inner, o + len - payload.inner)) continue;
        const addressing = { src: this.view.local, srcOff: 0, dst: tx.dstAddrs, dstOff: i * 16, srcPort: socket.localPort, dstPort: tx.dstPorts[i]!, gre };
        this.push({ t, data: outerPacket(addressing, tx.slab, o, len) });
      }
    }
  }

  /** Tunnel -> TAP, inner or outer: each packet as received (a GRO train cut into its packets). */
  ingressBatch(rx: RxBatch, count: number): void {
    const t = nowMicros();
    const gre = this.view.encap === "gre";
    for (let i = 0; i < count; i++) {
      if (!matchesPeer(this.filter, rx.srcAddrs, i * 16)) continue;
      const start = rx.offsetOf(i);
      const end = start + rx.lengths[i]!;
      const seg = rx.segSizes[i]! || end - start;
      for (let o = start; o < end; o += seg) {
        const len = Math.min(seg, end - o);
        const payload = parseTunnelPayload(this.view.encap, rx.slab, o, len);
        if (payload === undefined) {
          // Too short for a tunnel header: only an unfiltered outer capture can show it.
          if (this.outer && this.filter.vni === undefined && this.filter.mac === undefined) this.pushOuter(t, rx, i, o, len, gre);
          continue;
        }
        const innerLen = o + len - payload.inner;
        if (!matchesFrame(this.filter, payload.id, rx.slab, payload.inner, innerLen)) continue;
        if (this.outer) this.pushOuter(t, rx, i, o, len, gre);
        else this.push({ t, data: Buffer.from(rx.slab.subarray(payload.inner, payload.inner + innerLen)) });
      }
    }
  }

  private pushOuter(t: number, rx: RxBatch, i: number, o: number, len: number, gre: boolean): void {
    const addressing = { src: rx.srcAddrs, srcOff: i * 16, dst: this.view.local, dstOff: 0, srcPort: rx.srcPorts[i]!, dstPort: this.view.port, gre };
    this.push({ t, data: outerPacket(addressing, rx.slab, o, len) });
  }
}

export interface CaptureRequest {
  [field: string]: unknown;
  vni?: unknown;
  peer?: unknown;
  mac?: unknown;
  /** true: outer packets (raw IP); false/absent: inner Ethernet frames. */
  outer?: unknown;
  count?: unknown;
  /** Seconds. */
  duration?: unknown;
}

export function positiveArg(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0`);
  return value;
}

/** A capture as a control stream: header {linktype, ...}, items {t, len, d: base64}, end {captured, lost, reason}. */
export function captureStream(view: DebugView, req: CaptureRequest, limits: StreamQueueLimits = DEFAULT_STREAM_LIMITS): ObserverStream<CapturedFrame> {
  const filter = parseCaptureFilter(req);
  const outer = req.outer === true;
  const duration = positiveArg(req.duration, "duration");
  const header: CaptureHeader = { linktype: outer ? LINKTYPE_RAW : LINKTYPE_ETHERNET, snaplen: PCAP_DEFAULT_SNAPLEN, outer, encap: view.encap };
  return new ObserverStream<CapturedFrame>({
    header,
    count: positiveArg(req.count, "count"),
    durationMs: duration === undefined ? undefined : duration * 1000,
    limits,
    sizeOf: (f) => f.data.length + 64,
    encode: (f) => ({ t: f.t, len: f.data.length, d: f.data.toString("base64") }),
    attach: (push) => view.observers.add(new CaptureObserver(view, filter, outer, push)),
  });
}

export type CaptureSummary = StreamSummary;
