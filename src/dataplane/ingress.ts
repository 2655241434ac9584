// The ingress loop: tunnel batch -> validate and decapsulate -> learn and decide -> one write per TAP.
import { RxBatch } from "../io/batch.js";
import type { TunnelSocket } from "../io/tunnel-socket.js";
import type { Fdb } from "../switch/fdb.js";
import type { Forwarder } from "../switch/forwarder.js";
import { FLOOD } from "../switch/forwarder.js";
import { readMac } from "../wire/mac.js";
import { VIRTIO_NET_HDR_LEN } from "../wire/virtio-net.js";
import { VXLAN_HEADER_LEN } from "../wire/vxlan.js";
import { dropOf, type Encapsulation } from "./encap.js";
import { LocalDelivery } from "./local-delivery.js";
import { GroCoalescer } from "./offload.js";
import { GRO_ENCAP_GRE, GRO_RECORD, MAX_SUPER_FRAME } from "../io/native-abi.js";
import { InnerSegmenter } from "./inner-segmenter.js";
import { greHeaderLength } from "../wire/gre.js";
import { finishPartialChecksum } from "../wire/partial-checksum.js";
import type { Peer } from "../switch/peer-table.js";
import type { SegmentTable, SwitchTables, TableRef } from "../switch/tables.js";
import type { FramePort } from "../io/tap-device.js";
import { DropReason, decisionDrop, type DataplaneStats } from "./stats.js";
import type { Observers } from "./observers.js";
import { SealedEncap } from "./crypto-encap.js";
import type { CryptoOpener } from "./crypto-session.js";

/** An Ethernet header: the shortest inner frame decap accepts. */
const MIN_INNER_FRAME = 14;

export interface IngressOptions {
  batchSize: number;
  slotSize: number;
  /** Accept packets from unknown sources and add them as dynamic peers (multicast group mode). */
  learnPeers: boolean;
  /** Largest inner frame written to a TAP (overlay MTU + Ethernet + one tag). */
  maxFrame: number;
  /**
   * Every TAP was opened with IFF_VNET_HDR: frames are written behind a virtio-net header, and
   * (VXLAN) same-flow TCP segments are coalesced into GSO super-frames first.
   */
  vnetHdr?: boolean;
}

export class IngressLoop {
  private readonly rx: RxBatch;
  private readonly local: LocalDelivery;
  /** Set when packets are decapsulated and coalesced natively (vnet TAPs; VXLAN or GRE). */
  private readonly coalescer: GroCoalescer | undefined;
  /** Plain TAPs: cuts inner TCP frames longer than the link takes (a sender's GSO packet) into segments. */
  private readonly segmenter: InnerSegmenter | undefined;
  private readonly encapLen: number;
  /** GRE: the tunnel header's length differs per packet (checksum, key, sequence flags). */
  private readonly gre: boolean;
  /** Encrypted segments: opens sealed packets in place before anything reads them. */
  private readonly opener: CryptoOpener | undefined;
  private readonly onShort = (lost: number): void => this.stats.ingress.drop(DropReason.txError, lost);

  /** The tables of the batch being processed: read once per batch (and again after this loop itself adds a learned peer). */
  private t: SwitchTables;

  constructor(
    private readonly socket: TunnelSocket,
    taps: readonly FramePort[],
    private readonly tables: TableRef,
    private readonly encap: Encapsulation,
    private readonly fdb: Fdb,
    private readonly forwarder: Forwarder,
    private readonly stats: DataplaneStats,
    private readonly observers: Observers,
    private readonly opts: IngressOptions,
    private readonly addDynamicPeer: (addrs: Uint8Array, off: number) => Peer | undefined,
  ) {
    this.t = tables.current;
    this.rx = new RxBatch(opts.batchSize, opts.slotSize);
    this.opener = encap instanceof SealedEncap ? encap.session.opener(opts.batchSize, encap.name) : undefined;
    const capacity = opts.batchSize * 64;
    const vnet = opts.vnetHdr ?? false;
    // GRE headers vary in length per packet: the coalescer reads each one's flags (GRO_ENCAP_GRE).
    if (vnet) {
      this.gre = encap.name === "gre";
      this.encapLen = this.gre ? GRO_ENCAP_GRE : VXLAN_HEADER_LEN;
      this.coalescer = new GroCoalescer(capacity, this.rx.slab.length + 8 * (MAX_SUPER_FRAME + 32), opts.maxFrame - 4);
      this.segmenter = undefined;
      const copyBytes = opts.batchSize * (opts.maxFrame + 32) + 2 * (MAX_SUPER_FRAME + 32);
      this.local = new LocalDelivery(taps, this.coalescer.out, capacity, copyBytes, MAX_SUPER_FRAME + 4, true);
    } else {
      this.gre = false;
      this.encapLen = 0;
      this.coalescer = undefined;
      this.local = new LocalDelivery(taps, this.rx.slab, capacity, opts.batchSize * (opts.maxFrame + 8), opts.maxFrame);
      this.segmenter = new InnerSegmenter(opts.maxFrame - 4);
    }
  }

  onReadable(): void {
    for (let rounds = 0; rounds < 8; rounds++) {
      const n = this.socket.recv(this.rx);
      if (n === 0) return;
      this.processBatch(n);
      if (n < this.rx.capacity) return;
    }
  }

  private processBatch(n: number): void {
    const { rx } = this;
    const ist = this.stats.ingress;
    this.fdb.tick();
    this.t = this.tables.current;
    if (this.observers.active) this.observers.ingressBatch(rx, n);
    this.opener?.open(rx, n, this.t.peers, ist);
    if (this.coalescer !== undefined) {
      this.processCoalesced(n);
      ist.batch(n);
      return;
    }
    for (let i = 0; i < n; i++) {
      let peer = this.t.peers.lookup(rx.srcAddrs, i * 16);
      const base = rx.offsetOf(i);
      const total = rx.lengths[i]!;
      if (peer === undefined) {
        peer = this.learnPeer(rx.srcAddrs, i * 16);
        if (peer === undefined) {
          if (this.observers.active) this.observers.ingressFrame(rx.srcAddrs, i * 16, rx.slab, base, rx.slab, -1, total, 1);
          ist.drop(DropReason.unknownPeer);
          continue;
        }
      }
      // An empty datagram would make no pass of the loop below: a runt, counted like any other.
      if (total === 0) {
        ist.drop(DropReason.runt);
        continue;
      }
      // A UDP_GRO datagram holds several packets of segSize bytes (the last may be shorter).
      const seg = rx.segSizes[i]! || total;
      for (let o = base, end = base + total; o < end; o += seg) {
        if (this.observers.active) this.observers.ingressFrame(rx.srcAddrs, i * 16, rx.slab, o, rx.slab, -1, Math.min(seg, end - o), 1);
        this.packet(peer, o, Math.min(seg, end - o));
      }
    }
    if (this.observers.active) this.observers.batchEnd("ingress");
    this.local.flush(this.onShort);
    ist.batch(n);
  }

  private packet(peer: Peer, off: number, len: number): void {
    const slab = this.rx.slab;
    const ist = this.stats.ingress;
    const inner = this.encap.decap(slab, off, len);
    if (inner < 0) {
      ist.drop(dropOf(inner));
      return;
    }
    const segment = this.t.segments.get(this.encap.decapId);
    if (segment === undefined) {
      ist.drop(DropReason.unknownVni);
      return;
    }
    const flen = len - (inner - off);
    if (flen < 14) {
      ist.drop(DropReason.runt);
      return;
    }
    peer.rxFrames++;
    peer.rxBytes += flen;
    // A frame longer than the TAP's link takes: a TCP GSO packet of a same-host sender, which
    // crossed the underlay whole, is cut into segments; anything else is dropped. What is queued
    // goes first: the split writes into the bytes in front of the frame.
    if (flen > this.opts.maxFrame) {
      this.local.flush(this.onShort);
      if (!this.segmenter!.split(slab, inner, flen)) {
        ist.drop(DropReason.oversize);
        return;
      }
    }
    // Plain TAPs take no NEEDS_CSUM: a partial checksum from a same-host sender is finished here.
    if (flen <= this.opts.maxFrame && finishPartialChecksum(slab, inner, flen)) ist.partialChecksums++;
    const vni = segment.id;
    const dstIsGroup = (slab[inner]! & 1) === 1;
    const decision = this.forwarder.learnAndDecide(segment, peer.id, readMac(slab, inner + 6), dstIsGroup ? -1 : readMac(slab, inner), dstIsGroup);
    if (this.observers.active) this.observers.decided("ingress", decision, vni, peer.id);
    if (flen > this.opts.maxFrame) {
      this.deliverSegments(segment, decision);
      return;
    }
    this.deliver(segment, decision, slab, inner, flen, 1, flen, false);
  }

  /**
   * Writes a decided frame at buf[off, off+len) to its local ports and counts it as `packets`
   * tunnel packets of `bytes` inner bytes. vnet: the frame lies behind its own virtio-net header
   * (the coalescer's output), which goes along.
   */
  private deliver(segment: SegmentTable, decision: number, buf: Buffer, off: number, len: number, packets: number, bytes: number, vnet: boolean): void {
    const ist = this.stats.ingress;
    const local = this.local;
    if (decision === FLOOD) {
      if (segment.floodLimit !== undefined && !segment.floodLimit.take()) {
        ist.drop(DropReason.floodLimited, packets);
        return;
      }
      // Split horizon: what came from a tunnel floods to local ports only.
      ist.flood(segment.ports.length);
      // The last port takes the frame in place (a tag insert there would spoil it for copies).
      const ports = segment.ports;
      const last = ports.length - 1;
      for (let p = 0; p <= last; p++) {
        const port = ports[p]!;
        const ok = p === last
          ? (vnet ? local.zeroCopyVnet(port, buf, off, len) : local.zeroCopy(port, buf, off, len))
          : (vnet ? local.copyVnet(port, buf, off, len) : local.copy(port, buf, off, len));
        if (!ok) ist.drop(DropReason.txFull, packets);
      }
    } else if (decision < 0) {
      ist.drop(decisionDrop(decision), packets);
      return;
    } else {
      const port = this.t.ports[decision];
      if (port === undefined) {
        ist.drop(DropReason.splitHorizon, packets);
        return;
      }
      if (!(vnet ? local.zeroCopyVnet(port, buf, off, len) : local.zeroCopy(port, buf, off, len))) {
        ist.drop(DropReason.txFull, packets);
        return;
      }
    }
    ist.frames += packets;
    ist.bytes += bytes;
    segment.traffic.ingress(packets, bytes);
  }

  /**
   * Delivers the segments the segmenter cut from one oversize frame: copies, flushed at once. The
   * frame is one packet of the tunnel: one decision, one flood token, one drop when it goes nowhere.
   */
  private deliverSegments(segment: SegmentTable, decision: number): void {
    const ist = this.stats.ingress;
    const flood = decision === FLOOD;
    if (flood && segment.floodLimit !== undefined && !segment.floodLimit.take()) {
      ist.drop(DropReason.floodLimited);
      return;
    }
    if (decision < 0 && !flood) {
      ist.drop(decisionDrop(decision));
      return;
    }
    const unicast = flood ? undefined : this.t.ports[decision];
    if (!flood && unicast === undefined) {
      ist.drop(DropReason.splitHorizon);
      return;
    }
    const ports = segment.ports;
    const seg = this.segmenter!;
    for (let k = 0; k < seg.count; k++) {
      const off = seg.offsets[k]!;
      const len = seg.lengths[k]!;
      if (flood) {
        for (let p = 0; p < ports.length; p++) if (!this.local.copy(ports[p]!, seg.buffer, off, len)) ist.drop(DropReason.txFull);
      } else if (!this.local.copy(unicast!, seg.buffer, off, len)) {
        ist.drop(DropReason.txFull);
      }
      ist.frames++;
      ist.bytes += len;
      segment.traffic.ingress(1, len);
    }
    if (flood) ist.flood(ports.length);
    this.local.flush(this.onShort);
  }

  /**
   * Group mode: a packet from an unknown source may make it a peer. The model then publishes new
   * tables, which this batch adopts at once so the next packet from that source finds its peer.
   */
  private learnPeer(addrs: Uint8Array, off: number): Peer | undefined {
    if (!this.opts.learnPeers) return undefined;
    const peer = this.addDynamicPeer(addrs, off);
    if (peer !== undefined) this.t = this.tables.current;
    return peer;
  }

  /** The batch through the native coalescer: one decision per (super-)frame, written in parts. */
  private processCoalesced(n: number): void {
    const c = this.coalescer!;
    c.begin();
    let k: number;
    do {
      k = c.next(this.rx, n, this.encapLen);
      for (let j = 0; j < k; j++) this.coalescedFrame(j);
      this.local.flush(this.onShort);
    } while (k > 0 && c.cursor[0]! < n);
    if (this.observers.active) this.observers.batchEnd("ingress");
    if (c.runts > 0) this.stats.ingress.drop(DropReason.runt, c.runts);
    this.stats.ingress.partialChecksums += c.partialChecksums;
  }

  /** Output record j of the coalescer: a frame (maybe a GSO super-frame of `packets` segments) behind its virtio-net header. */
  private coalescedFrame(j: number): void {
    const rec = this.coalescer!.records;
    const r = j * GRO_RECORD;
    const off = rec[r]! + VIRTIO_NET_HDR_LEN;
    const flen = rec[r + 1]! - VIRTIO_NET_HDR_LEN;
    const src = rec[r + 2]! * 16;
    const packets = rec[r + 4]!;
    const rx = this.rx;
    const ist = this.stats.ingress;
    if (this.observers.active) this.observers.ingressFrame(rx.srcAddrs, src, rx.slab, rec[r + 3]!, this.coalescer!.out, off, flen, packets);
    let peer = this.t.peers.lookup(rx.srcAddrs, src);
    if (peer === undefined) {
      peer = this.learnPeer(rx.srcAddrs, src);
      if (peer === undefined) {
        ist.drop(DropReason.unknownPeer, packets);
        return;
      }
    }
    // Merged packets had identical tunnel headers: the first one speaks for all. Its length in
    // the rx slab matters only to a GRE checksum, and packets with one are never merged: a single
    // packet's length is its header plus flen; a merged record's is vouched for by the coalescer.
    const hdr = rec[r + 3]!;
    const hlen = this.gre ? greHeaderLength(rx.slab.readUInt16BE(hdr)) : this.encapLen;
    const inner = this.encap.decap(rx.slab, hdr, hlen + (packets === 1 ? flen : MIN_INNER_FRAME));
    if (inner < 0) {
      ist.drop(dropOf(inner), packets);
      return;
    }
    const segment = this.t.segments.get(this.encap.decapId);
    if (segment === undefined) {
      ist.drop(DropReason.unknownVni, packets);
      return;
    }
    peer.rxFrames += packets;
    peer.rxBytes += rec[r + 5]!;
    const out = this.coalescer!.out;
    // Too long for the link and not a GSO frame (those the coalescer made of TCP): not deliverable.
    if (flen > this.opts.maxFrame && out[off - VIRTIO_NET_HDR_LEN + 1] === 0) {
      ist.drop(DropReason.oversize, packets);
      return;
    }
    const dstIsGroup = (out[off]! & 1) === 1;
    const decision = this.forwarder.learnAndDecide(segment, peer.id, readMac(out, off + 6), dstIsGroup ? -1 : readMac(out, off), dstIsGroup);
    if (this.observers.active) this.observers.decided("ingress", decision, segment.id, peer.id);
    this.deliver(segment, decision, out, off, flen, packets, rec[r + 5]!, true);
  }
}
