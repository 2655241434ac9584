// The egress loop: TAP batch -> learn and decide per frame -> encapsulate in the headroom -> one send per socket.
import { RxBatch, TxBatch } from "../io/batch.js";
import { loadNative, type NativeAddon } from "../io/native.js";
import type { TunnelSocket } from "../io/tunnel-socket.js";
import type { Fdb } from "../switch/fdb.js";
import type { Forwarder } from "../switch/forwarder.js";
import { FLOOD } from "../switch/forwarder.js";
import { readMac } from "../wire/mac.js";
import { flowSourcePort } from "../wire/flow-hash.js";
import { ETH_VLAN_HEADER_LEN, TPID_8021AD, TPID_8021Q, stripVlanTag } from "../wire/ethernet.js";
import type { Encapsulation } from "./encap.js";
import { SegmentScratch, maxGsoMessage } from "./offload.js";
import { TAP_SUPER_FRAME } from "../io/tap-offloads.js";
import { VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_LEN, shiftVnetHeader } from "../wire/virtio-net.js";
import type { Peer } from "../switch/peer-table.js";
import type { PortTable, SegmentTable, TableRef } from "../switch/tables.js";
import type { TunnelSockets } from "../io/tunnel-socket.js";
import type { FramePort } from "../io/tap-device.js";
import { LocalDelivery } from "./local-delivery.js";
import { countPeerSendErrors } from "./send-errors.js";
import { DropReason, decisionDrop, type DataplaneStats } from "./stats.js";
import type { Observers } from "./observers.js";
import { TooBigResponder, exceedsOverlay, gsoSegmentLength } from "./too-big.js";
import { SealedEncap } from "./crypto-encap.js";
import { SEAL_COPY_BYTES, SealCopies } from "./crypto-egress.js";
import { CRYPTO_TAG_LEN } from "./crypto-session.js";

export interface EgressOptions {
  batchSize: number;
  slotSize: number;
  /** Largest inner frame accepted from the TAP (overlay MTU + Ethernet + one tag). */
  maxFrame: number;
  /** UDP destination port for VXLAN; ignored for GRE. */
  dstPort: number;
  /**
   * The TAP was opened with IFF_VNET_HDR: every frame comes behind a virtio-net header, partial
   * checksums are finished here and GSO super-frames (TSO/USO) are split into segments.
   */
  vnetHdr?: boolean;
  /** Underlay family (default 4): bounds one UDP_SEGMENT message. */
  family?: 4 | 6;
}

/** Super-frames the split scratch holds before the queued segments must be sent. */
const SCRATCH_SUPER_FRAMES = 8;
/**
 * TAP frames read per wakeup when super-frames go out one datagram per segment through
 * node:dgram, which holds only so many sends in flight per event-loop turn.
 */
const DGRAM_READ = 4;

/**
 * Messages one send batch holds: flooding sends one copy per peer, so a batch may need
 * batchSize * peers of them (+2: a multicast group copy, and a peer added later by `fdb add --dst`).
 */
function sendCapacity(batchSize: number, floodPeers: number): number {
  return batchSize * (floodPeers + 2);
}

export class EgressLoop {
  private readonly rx: RxBatch;
  private readonly tx: TxBatch[];
  /** The socket each tx batch is sent on. */
  private readonly txSockets: TunnelSocket[];
  private readonly local: LocalDelivery;
  /** Frames too big for the overlay get ICMP back through `local`. */
  readonly tooBig: TooBigResponder;
  private readonly vnet: boolean;
  private readonly addon: NativeAddon | undefined;
  private readonly scratch: SegmentScratch | undefined;
  private readonly maxMessage: number;
  private readonly maxRounds: number;
  /** Result of the last split: messages, wire segments, inner bytes. */
  private splitMessages = 0;
  private splitSegments = 0;
  private splitBytes = 0;
  /** Encrypted segments: the sealing encapsulation, and room for sealed flood copies. */
  private readonly sealer: SealedEncap | undefined;
  private readonly copies: SealCopies | undefined;

  /** The generation of the tables the send batches were last sized for. */
  private seen = -1;

  /**
   * The loop of TAP `tapIndex` (devices[tapIndex] is read; every device may be written: local
   * delivery). The tables come from `tables.current`, read once per batch.
   */
  constructor(
    private readonly tapIndex: number,
    private readonly devices: readonly FramePort[],
    private readonly tables: TableRef,
    private readonly sockets: TunnelSockets,
    private readonly encap: Encapsulation,
    private readonly fdb: Fdb,
    private readonly forwarder: Forwarder,
    private readonly stats: DataplaneStats,
    private readonly observers: Observers,
    private readonly opts: EgressOptions,
  ) {
    this.vnet = opts.vnetHdr ?? false;
    const senders = sockets.senders.length > 0 ? sockets.senders : [sockets.main];
    this.txSockets = senders;
    // A 64 KiB super-frame is ~45 node:dgram sends: read a few per wakeup, not 8 batches.
    const throttled = this.vnet && senders.some((sock) => sock.kind === "dgram");
    const readBatch = throttled ? Math.min(opts.batchSize, DGRAM_READ) : opts.batchSize;
    this.maxRounds = throttled ? 1 : 8;
    const scratchBytes = this.vnet ? SegmentScratch.bytesFor(SCRATCH_SUPER_FRAMES) : 0;
    this.sealer = encap instanceof SealedEncap ? encap : undefined;
    this.rx = new RxBatch(readBatch, opts.slotSize, undefined, scratchBytes + (this.sealer ? SEAL_COPY_BYTES : 0));
    const copiesAt = this.rx.tailOffset + scratchBytes;
    if (this.sealer) this.copies = new SealCopies(this.rx.slab, copiesAt, this.rx.slab.length, this.sealer);
    const txCapacity = sendCapacity(opts.batchSize, tables.current.maxFloodPeers);
    this.tx = senders.map(() => new TxBatch(txCapacity, this.rx.slab));
    this.maxMessage = maxGsoMessage(opts.family ?? 4);
    if (this.vnet) {
      this.addon = loadNative();
      this.scratch = new SegmentScratch(this.rx.slab, this.rx.tailOffset, copiesAt);
      // Room to copy a couple of super-frames to other local ports (flooding), besides plain frames.
      const copyBytes = opts.batchSize * (opts.maxFrame + 32) + 2 * (TAP_SUPER_FRAME + 32);
      this.local = new LocalDelivery(devices, this.rx.slab, opts.batchSize, copyBytes, TAP_SUPER_FRAME + 4, true);
    } else {
      this.local = new LocalDelivery(devices, this.rx.slab, opts.batchSize, opts.batchSize * (opts.maxFrame + 8), opts.maxFrame);
    }
    this.tooBig = new TooBigResponder(this.local);
  }

  /** Peers added at run time (`peers add`, reload): room for a flood copy of every frame of a batch to each, grown between batches. */
  private reservePeers(floodPeers: number): void {
    const need = sendCapacity(this.opts.batchSize, floodPeers);
    if (this.tx[0]!.capacity >= need) return;
    for (let i = 0; i < this.tx.length; i++) this.tx[i] = new TxBatch(need, this.rx.slab);
  }

  /** Drains what the TAP has ready, one batch at a time, bounded so other loops get their turn. */
  onReadable(): void {
    for (let rounds = 0; rounds < this.maxRounds; rounds++) {
      const n = this.devices[this.tapIndex]!.readBatch(this.rx);
      if (n === 0) return;
      this.processBatch(n);
      if (n < this.rx.capacity) return;
    }
  }

  private processBatch(n: number): void {
    const { rx, stats, encap, fdb, forwarder } = this;
    const t = this.tables.current;
    if (t.generation !== this.seen) {
      this.reservePeers(t.maxFloodPeers);
      this.seen = t.generation;
    }
    const tap = t.taps[this.tapIndex]!;
    const slab = rx.slab;
    const est = stats.egress;
    fdb.tick();
    if (this.observers.active) this.observers.egressBatch(rx, n, tap);
    const vnet = this.vnet;
    // One pass over the batch finishes partial checksums; GSO frames keep theirs for the split.
    // Frames whose checksum cannot be finished come back with length 0: counted here, skipped below.
    if (vnet) est.drop(DropReason.badOffload, this.addon!.vnetFinishBatch(slab, rx.slotSize, rx.headroom, rx.lengths, n));
    let frames = 0;
    let bytes = 0;
    const senders = this.tx.length;
    for (let i = 0; i < n; i++) {
      let off = rx.offsetOf(i);
      let len = rx.lengths[i]!;
      if (this.observers.active) this.observers.egressFrame(slab, off, len, tap);
      let gso = false;
      if (vnet) {
        if (len === 0) continue;
        gso = len > VIRTIO_NET_HDR_LEN && (slab[off + 1]! & ~VIRTIO_NET_HDR_GSO_ECN) !== 0;
        off += VIRTIO_NET_HDR_LEN;
        len -= VIRTIO_NET_HDR_LEN;
      }
      if (len < 14) {
        est.drop(DropReason.runt);
        continue;
      }
      let port: PortTable | undefined;
      if (tap.trunk) {
        const tpid = slab.readUInt16BE(off + 12);
        if (tpid !== TPID_8021Q) {
          est.drop(tpid === TPID_8021AD ? DropReason.serviceTag : DropReason.untagged);
          continue;
        }
        // The tag and a whole Ethernet header behind it, before the VLAN is read or the tag stripped.
        if (len < ETH_VLAN_HEADER_LEN) {
          est.drop(DropReason.runt);
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
        // A super-frame's header stays right in front of it (its offsets count from the frame).
        if (gso) shiftVnetHeader(slab, off - 4 - VIRTIO_NET_HDR_LEN, 4);
      } else {
        port = tap.access!;
      }
      const segment = port.segment;
      // Longer than this segment's overlay carries; for a super-frame: its segments are.
      if (gso ? gsoSegmentLength(slab, off, len, slab.readUInt16LE(off - VIRTIO_NET_HDR_LEN + 4)) > segment.mtu + 14 : exceedsOverlay(slab, off, len, segment.mtu)) {
        est.drop(this.tooBig.answer(port, slab, off, len, segment.mtu) ? DropReason.tooBig : DropReason.oversize);
        continue;
      }
      const vni = segment.id;
      const dstIsGroup = (slab[off]! & 1) === 1;
      const decision = forwarder.learnAndDecide(segment, port.id, readMac(slab, off + 6), dstIsGroup ? -1 : readMac(slab, off), dstIsGroup);
      if (this.observers.active) this.observers.decided("egress", decision, vni, port.id);
      const hlen = encap.headerLength(segment);
      const sealed = this.sealer !== undefined && this.sealer.session.encrypts(segment.id);
      // Room behind each sealed segment of a split for its AEAD tag.
      const trailer = sealed ? CRYPTO_TAG_LEN : 0;
      if (decision === FLOOD) {
        if (segment.floodLimit !== undefined && !segment.floodLimit.take()) {
          est.drop(DropReason.floodLimited);
          continue;
        }
        est.flood(segment.peers.length + segment.ports.length - 1);
        const s = senders === 1 ? 0 : flowSourcePort(slab, off, len) % senders;
        const txb = this.tx[s]!;
        const peers = segment.peers;
        if (gso) {
          if (peers.length > 0 && this.split(segment, off, len, hlen, trailer)) {
            for (let p = 0; p < peers.length; p++) {
              // Sealed: every peer has its own key, so every peer gets its own split.
              if (sealed && ((p > 0 && !this.split(segment, off, len, hlen, trailer)) || !this.sealSplit(peers[p]!, segment))) continue;
              this.queueSplit(s, peers[p]!);
            }
          }
        } else if (sealed) {
          for (let p = 0; p < peers.length; p++) this.queueSealedCopy(s, segment, off, len, hlen, peers[p]!);
        } else {
          encap.writeHeader(slab, off, len, segment);
          for (let p = 0; p < peers.length; p++) {
            // Segments of earlier super-frames may have filled it: send, keep going.
            if (txb.full) this.flushTxKeepingScratch();
            txb.push(off - hlen, len + hlen, peers[p]!.addr16, this.opts.dstPort);
            peers[p]!.txFrames++;
            peers[p]!.txBytes += len;
          }
        }
        const ports = segment.ports;
        for (let p = 0; p < ports.length; p++) {
          const other = ports[p]!;
          if (other.id === port.id) continue;
          if (!(gso ? this.local.copyVnet(other, slab, off, len) : this.local.copy(other, slab, off, len))) est.drop(DropReason.txFull);
        }
        frames++;
        bytes += len;
        segment.traffic.egress(1, len);
        continue;
      }
      if (decision < 0) {
        est.drop(decisionDrop(decision));
        continue;
      }
      const peer = t.peers.get(decision);
      if (peer !== undefined && gso) {
        if (!this.split(segment, off, len, hlen, trailer) || (sealed && !this.sealSplit(peer, segment))) continue;
        this.queueSplit(senders === 1 ? 0 : flowSourcePort(slab, off, len) % senders, peer);
        frames += this.splitSegments;
        bytes += this.splitBytes;
        segment.traffic.egress(this.splitSegments, this.splitBytes);
        continue;
      }
      if (peer !== undefined) {
        encap.writeHeader(slab, off, len, segment);
        const txb = this.tx[senders === 1 ? 0 : flowSourcePort(slab, off, len) % senders]!;
        // Sealed in place: the tag goes behind the frame (the slot leaves room for it).
        const wire = len + hlen + (sealed ? CRYPTO_TAG_LEN : 0);
        if (sealed && !this.sealer!.session.seal(peer, slab, off - hlen, this.sealer!.tunnelLength(segment), wire)) {
          est.drop(DropReason.txError);
          continue;
        }
        if (txb.full) this.flushTxKeepingScratch();
        txb.push(off - hlen, wire, peer.addr16, this.opts.dstPort);
        peer.txFrames++;
        peer.txBytes += len;
      } else {
        const other = t.ports[decision];
        if (other === undefined) {
          est.drop(DropReason.noTarget);
          continue;
        }
        if (!(gso ? this.local.copyVnet(other, slab, off, len) : this.local.copy(other, slab, off, len))) est.drop(DropReason.txFull);
      }
      frames++;
      bytes += len;
      segment.traffic.egress(1, len);
    }
    if (this.observers.active) this.observers.batchEnd("egress");
    this.flushTx();
    this.local.flush(this.onShortLocal);
    est.frames += frames;
    est.bytes += bytes;
    est.batch(n);
  }

  /** Sends every queued tunnel message; the split scratch is free again afterwards. */
  private flushTx(): void {
    this.flushTxKeepingScratch();
    this.scratch?.reset();
    this.copies?.reset();
  }

  /**
   * Splits the super-frame at slab[off, off+len) into segments behind hlen-byte tunnel headers
   * with trailer bytes after each, in the scratch (sending what is queued first when it is
   * full). False when it was dropped (and counted).
   */
  private split(segment: SegmentTable, off: number, len: number, hlen: number, trailer: number): boolean {
    const scratch = this.scratch!;
    // VXLAN's header is the same for every segment: a template. Others (GRE checksum, sequence)
    // depend on the packet and are written per segment below.
    const template = this.encap.name === "vxlan";
    if (template) this.encap.writeHeader(scratch.template, hlen, len, segment);
    let n = scratch.split(off, len, hlen, this.maxMessage, undefined, trailer);
    if (n === 0 && !scratch.empty) {
      this.flushTx();
      n = scratch.split(off, len, hlen, this.maxMessage, undefined, trailer);
    }
    if (n <= 0) {
      this.stats.egress.drop(n === 0 ? DropReason.txFull : DropReason.badOffload);
      return false;
    }
    const msgs = scratch.messages;
    let segments = 0;
    let wire = 0;
    let largest = 0;
    for (let m = 0; m < n; m++) {
      const mlen = msgs[3 * m + 1]!;
      const seg = msgs[3 * m + 2]!;
      segments += seg === 0 ? 1 : Math.ceil(mlen / seg);
      wire += mlen;
      largest = Math.max(largest, seg || mlen);
    }
    // An MSS chosen behind a larger MTU than the overlay's: its segments would not fit either.
    if (largest - hlen - trailer > this.opts.maxFrame) {
      this.stats.egress.drop(DropReason.oversize);
      return false;
    }
    if (!template) {
      const slab = this.rx.slab;
      for (let m = 0; m < n; m++) {
        const start = msgs[3 * m]!;
        const end = start + msgs[3 * m + 1]!;
        const seg = msgs[3 * m + 2]! || end - start;
        for (let o = start; o < end; o += seg) this.encap.writeHeader(slab, o + hlen, Math.min(seg, end - o) - hlen - trailer, segment);
      }
    }
    this.splitMessages = n;
    this.splitSegments = segments;
    this.splitBytes = wire - segments * (hlen + trailer);
    return true;
  }

  /** Seals the last split's segments for peer (each peer has its own key). */
  private sealSplit(peer: Peer, segment: SegmentTable): boolean {
    const sealer = this.sealer!;
    if (sealer.session.sealSplit(peer, this.rx.slab, this.scratch!.messages, this.splitMessages, sealer.tunnelLength(segment))) return true;
    this.stats.egress.drop(DropReason.txError);
    return false;
  }

  /** A flood copy of a plain frame, sealed for one peer, queued on sender s. */
  private queueSealedCopy(s: number, segment: SegmentTable, off: number, len: number, hlen: number, peer: Peer): void {
    let at = this.copies!.sealCopy(segment, off, len, hlen, peer);
    if (at === -1) {
      this.flushTx();
      at = this.copies!.sealCopy(segment, off, len, hlen, peer);
    }
    if (at < 0) {
      this.stats.egress.drop(at === -1 ? DropReason.txFull : DropReason.txError);
      return;
    }
    const txb = this.tx[s]!;
    if (txb.full) this.flushTxKeepingScratch();
    txb.push(at, hlen + len + CRYPTO_TAG_LEN, peer.addr16, this.opts.dstPort);
    peer.txFrames++;
    peer.txBytes += len;
  }

  /** Queues the last split's segments to a peer on sender s: one UDP_SEGMENT message each, or one datagram per segment. */
  private queueSplit(s: number, peer: Peer): void {
    const txb = this.tx[s]!;
    const msgs = this.scratch!.messages;
    const n = this.splitMessages;
    const port = this.opts.dstPort;
    if (this.txSockets[s]!.gso) {
      for (let m = 0; m < n; m++) {
        if (txb.full) this.flushTxKeepingScratch();
        txb.push(msgs[3 * m]!, msgs[3 * m + 1]!, peer.addr16, port, msgs[3 * m + 2]!);
      }
    } else {
      for (let m = 0; m < n; m++) {
        const start = msgs[3 * m]!;
        const end = start + msgs[3 * m + 1]!;
        const seg = msgs[3 * m + 2]! || end - start;
        for (let o = start; o < end; o += seg) {
          if (txb.full) this.flushTxKeepingScratch();
          txb.push(o, Math.min(seg, end - o), peer.addr16, port, 0);
        }
      }
    }
    peer.txFrames += this.splitSegments;
    peer.txBytes += this.splitBytes;
  }

  /** Sends what is queued when a tx batch is full, leaving the scratch (still being queued from) as it is. */
  private flushTxKeepingScratch(): void {
    const est = this.stats.egress;
    for (let s = 0; s < this.tx.length; s++) {
      const txb = this.tx[s]!;
      if (txb.count === 0) continue;
      if (this.observers.active) this.observers.egressSend(txb, this.txSockets[s]!);
      const sent = this.txSockets[s]!.send(txb);
      if (sent < txb.count) {
        est.drop(DropReason.txError, txb.count - sent);
        countPeerSendErrors(txb, this.tables.current.peers);
      }
      txb.clear();
    }
  }

  private readonly onShortLocal = (lost: number): void => this.stats.egress.drop(DropReason.txError, lost);
}
