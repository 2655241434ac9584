// The ingress loop: tunnel batch -> validate and decapsulate -> learn and decide -> one write per TAP.
import { RxBatch } from "../io/batch.js";
import type { TunnelSocket } from "../io/tunnel-socket.js";
import type { Fdb } from "../switch/fdb.js";
import type { Forwarder } from "../switch/forwarder.js";
import { FLOOD, dropReasonName } from "../switch/forwarder.js";
import { readMac } from "../wire/mac.js";
import { dropOf, type Encapsulation } from "./encap.js";
import { LocalDelivery } from "./local-delivery.js";
import type { Peer, PeerTable } from "./peer-table.js";
import type { PortRuntime, SegmentRuntime, TapRuntime } from "./runtime.js";
import { DropReason, type DataplaneStats, type DropReasonName } from "./stats.js";
import type { Observers } from "./observers.js";

export interface IngressOptions {
  batchSize: number;
  slotSize: number;
  /** Accept packets from unknown sources and add them as dynamic peers (multicast group mode). */
  learnPeers: boolean;
  /** Largest inner frame written to a TAP (overlay MTU + Ethernet + one tag). */
  maxFrame: number;
}

export class IngressLoop {
  private readonly rx: RxBatch;
  private readonly local: LocalDelivery;
  private readonly onShort = (lost: number): void => this.stats.ingress.drop(DropReason.txError, lost);

  constructor(
    private readonly socket: TunnelSocket,
    taps: TapRuntime[],
    private readonly segments: Map<number, SegmentRuntime>,
    private readonly portsById: Map<number, PortRuntime>,
    private readonly encap: Encapsulation,
    private readonly fdb: Fdb,
    private readonly forwarder: Forwarder,
    private readonly peers: PeerTable,
    private readonly stats: DataplaneStats,
    private readonly observers: Observers,
    private readonly opts: IngressOptions,
    private readonly addDynamicPeer: (addrs: Uint8Array, off: number) => Peer | undefined,
  ) {
    this.rx = new RxBatch(opts.batchSize, opts.slotSize);
    this.local = new LocalDelivery(taps, this.rx.slab, opts.batchSize * 64, opts.batchSize * (opts.maxFrame + 8), opts.maxFrame);
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
    if (this.observers.active) this.observers.ingressBatch(rx, n);
    for (let i = 0; i < n; i++) {
      let peer = this.peers.lookup(rx.srcAddrs, i * 16);
      const base = rx.offsetOf(i);
      const total = rx.lengths[i]!;
      if (peer === undefined) {
        peer = this.opts.learnPeers ? this.addDynamicPeer(rx.srcAddrs, i * 16) : undefined;
        if (peer === undefined) {
          ist.drop(DropReason.unknownPeer);
          continue;
        }
      }
      // A UDP_GRO datagram holds several packets of segSize bytes (the last may be shorter).
      const seg = rx.segSizes[i]! || total;
      for (let o = base, end = base + total; o < end; o += seg) {
        this.packet(peer, o, Math.min(seg, end - o));
      }
    }
    this.local.flush(this.onShort);
    ist.batches++;
  }

  private packet(peer: Peer, off: number, len: number): void {
    const slab = this.rx.slab;
    const ist = this.stats.ingress;
    const inner = this.encap.decap(slab, off, len);
    if (inner < 0) {
      ist.drop(dropOf(inner));
      return;
    }
    const segment = this.segments.get(this.encap.decapId);
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
    const vni = segment.id;
    const dstIsGroup = (slab[inner]! & 1) === 1;
    const decision = this.forwarder.learnAndDecide(vni, peer.id, readMac(slab, inner + 6), dstIsGroup ? -1 : readMac(slab, inner), dstIsGroup);
    if (decision === FLOOD) {
      // Split horizon: what came from a tunnel floods to local ports only.
      ist.flooded++;
      const ports = segment.ports;
      for (let p = 0; p < ports.length; p++) {
        const ok = p === 0 ? this.local.zeroCopy(ports[p]!, slab, inner, flen) : this.local.copy(ports[p]!, slab, inner, flen);
        if (!ok) ist.drop(DropReason.txFull);
      }
    } else if (decision < 0) {
      ist.drop(DropReason[dropReasonName(decision) as DropReasonName]);
      return;
    } else {
      const port = this.portsById.get(decision);
      if (port === undefined) {
        ist.drop(DropReason.splitHorizon);
        return;
      }
      if (!this.local.zeroCopy(port, slab, inner, flen)) {
        ist.drop(DropReason.txFull);
        return;
      }
    }
    ist.frames++;
    ist.bytes += flen;
  }
}
