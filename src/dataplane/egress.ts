// The egress loop: TAP batch -> learn and decide per frame -> encapsulate in the headroom -> one send per socket.
import { RxBatch, TxBatch } from "../io/batch.js";
import type { Fdb } from "../switch/fdb.js";
import type { Forwarder } from "../switch/forwarder.js";
import { FLOOD, dropReasonName } from "../switch/forwarder.js";
import { readMac } from "../wire/mac.js";
import { flowSourcePort } from "../wire/flow-hash.js";
import { TPID_8021Q, stripVlanTag } from "../wire/ethernet.js";
import type { Encapsulation } from "./encap.js";
import type { PortRuntime, TapRuntime, TunnelSockets } from "./runtime.js";
import { LocalDelivery } from "./local-delivery.js";
import type { PeerTable } from "./peer-table.js";
import { DropReason, type DataplaneStats, type DropReasonName } from "./stats.js";
import type { Observers } from "./observers.js";

export interface EgressOptions {
  batchSize: number;
  slotSize: number;
  /** Largest inner frame accepted from the TAP (overlay MTU + Ethernet + one tag). */
  maxFrame: number;
  /** UDP destination port for VXLAN; ignored for GRE. */
  dstPort: number;
}

export class EgressLoop {
  private readonly rx: RxBatch;
  private readonly tx: TxBatch[];
  private readonly local: LocalDelivery;

  constructor(
    private readonly tap: TapRuntime,
    allTaps: TapRuntime[],
    private readonly portsById: Map<number, PortRuntime>,
    private readonly sockets: TunnelSockets,
    private readonly encap: Encapsulation,
    private readonly fdb: Fdb,
    private readonly forwarder: Forwarder,
    private readonly peers: PeerTable,
    private readonly stats: DataplaneStats,
    private readonly observers: Observers,
    private readonly opts: EgressOptions,
  ) {
    this.rx = new RxBatch(opts.batchSize, opts.slotSize);
    const senders = sockets.senders.length > 0 ? sockets.senders : [sockets.main];
    // Flooding sends one copy per peer, so a batch may need batchSize * peers messages.
    const txCapacity = opts.batchSize * Math.max(1, peers.size || 1);
    this.tx = senders.map(() => new TxBatch(txCapacity, this.rx.slab));
    this.local = new LocalDelivery(allTaps, this.rx.slab, opts.batchSize, opts.batchSize * (opts.maxFrame + 8), opts.maxFrame);
  }

  /** Drains what the TAP has ready, one batch at a time, bounded so other loops get their turn. */
  onReadable(): void {
    for (let rounds = 0; rounds < 8; rounds++) {
      const n = this.tap.device.readBatch(this.rx);
      if (n === 0) return;
      this.processBatch(n);
      if (n < this.rx.capacity) return;
    }
  }

  private processBatch(n: number): void {
    const { rx, stats, encap, fdb, forwarder, tap } = this;
    const slab = rx.slab;
    const est = stats.egress;
    fdb.tick();
    if (this.observers.active) this.observers.egressBatch(rx, n, tap);
    let frames = 0;
    let bytes = 0;
    const senders = this.tx.length;
    for (let i = 0; i < n; i++) {
      let off = rx.offsetOf(i);
      let len = rx.lengths[i]!;
      if (len < 14) {
        est.drop(DropReason.runt);
        continue;
      }
      let port: PortRuntime | undefined;
      if (tap.trunk) {
        if (slab.readUInt16BE(off + 12) !== TPID_8021Q) {
          est.drop(DropReason.untagged);
          continue;
        }
        port = tap.byVlan.get(slab.readUInt16BE(off + 14) & 0x0fff);
        if (port === undefined) {
          est.drop(DropReason.unmappedVlan);
          continue;
        }
        // The tag's meaning moves into the VNI: strip it in place (the frame starts 4 bytes later).
        off = stripVlanTag(slab, off);
        len -= 4;
      } else {
        port = tap.access!;
      }
      if (len > this.opts.maxFrame) {
        est.drop(DropReason.oversize);
        continue;
      }
      const segment = port.segment;
      const vni = segment.id;
      const dstIsGroup = (slab[off]! & 1) === 1;
      const decision = forwarder.learnAndDecide(vni, port.id, readMac(slab, off + 6), dstIsGroup ? -1 : readMac(slab, off), dstIsGroup);
      const hlen = encap.headerLength(segment);
      if (decision === FLOOD) {
        est.flooded++;
        encap.writeHeader(slab, off, len, segment);
        const txb = this.tx[senders === 1 ? 0 : flowSourcePort(slab, off, len) % senders]!;
        const peers = segment.peers;
        for (let p = 0; p < peers.length; p++) {
          if (txb.full) {
            est.drop(DropReason.txFull);
            continue;
          }
          txb.push(off - hlen, len + hlen, peers[p]!.addr16, this.opts.dstPort);
          peers[p]!.txFrames++;
        }
        const ports = segment.ports;
        for (let p = 0; p < ports.length; p++) {
          const other = ports[p]!;
          if (other.id !== port.id && !this.local.copy(other, slab, off, len)) est.drop(DropReason.txFull);
        }
        frames++;
        bytes += len;
        continue;
      }
      if (decision < 0) {
        est.drop(DropReason[dropReasonName(decision) as DropReasonName]);
        continue;
      }
      const peer = this.peers.get(decision);
      if (peer !== undefined) {
        encap.writeHeader(slab, off, len, segment);
        const txb = this.tx[senders === 1 ? 0 : flowSourcePort(slab, off, len) % senders]!;
        if (txb.full) {
          est.drop(DropReason.txFull);
          continue;
        }
        txb.push(off - hlen, len + hlen, peer.addr16, this.opts.dstPort);
        peer.txFrames++;
      } else {
        const other = this.portsById.get(decision);
        if (other === undefined) {
          est.drop(DropReason.noTarget);
          continue;
        }
        if (!this.local.copy(other, slab, off, len)) est.drop(DropReason.txFull);
      }
      frames++;
      bytes += len;
    }
    for (let s = 0; s < this.tx.length; s++) {
      const txb = this.tx[s]!;
      if (txb.count === 0) continue;
      const sock = this.tx.length === 1 && this.sockets.senders.length === 0 ? this.sockets.main : this.sockets.senders[s]!;
      const sent = sock.send(txb);
      if (sent < txb.count) est.drop(DropReason.txError, txb.count - sent);
      txb.clear();
    }
    this.local.flush(this.onShortLocal);
    est.frames += frames;
    est.bytes += bytes;
    est.batches++;
  }

  private readonly onShortLocal = (lost: number): void => this.stats.egress.drop(DropReason.txError, lost);
}
