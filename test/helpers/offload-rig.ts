// A dataplane with virtio-net TAP offloads on in-memory ports that replay prepared frames and
// datagrams without allocating, so loops can run for long (allocation tests) or once (checks).
import type { RxBatch, TxBatch } from "../../src/io/batch.js";
import type { TunnelSocket } from "../../src/io/tunnel-socket.js";
import type { EgressLoop } from "../../src/dataplane/egress.js";
import type { IngressLoop } from "../../src/dataplane/ingress.js";
import type { Peer } from "../../src/switch/peer-table.js";
import type { FramePort } from "../../src/io/tap-device.js";
import type { DataplaneStats } from "../../src/dataplane/stats.js";
import { SwitchCore } from "../../src/dataplane/core.js";
import { VxlanEncap } from "../../src/dataplane/vxlan-encap.js";
import { GreEncap } from "../../src/dataplane/gre-encap.js";
import type { Encapsulation } from "../../src/dataplane/encap.js";
import type { Fdb } from "../../src/switch/fdb.js";

/** A TAP handing up `frames` ([virtio-net header][frame]) round-robin, `perBatch` per read. */
export class ReplayTap implements FramePort {
  readonly name = "vxtap42";
  frames: Buffer[] = [];
  perBatch = 8;
  /** Keep a copy of every written frame (functional checks only: it allocates). */
  record = false;
  readonly written: Buffer[] = [];
  writtenFrames = 0;
  writtenBytes = 0;
  private next = 0;

  readBatch(rx: RxBatch): number {
    let n = 0;
    while (n < this.perBatch && n < rx.capacity && this.frames.length > 0) {
      const f = this.frames[this.next++ % this.frames.length]!;
      f.copy(rx.slab, rx.offsetOf(n));
      rx.lengths[n] = f.length;
      n++;
    }
    rx.count = n;
    return n;
  }

  writeBatch(tx: TxBatch): number {
    for (let i = 0; i < tx.count; i++) {
      this.writtenBytes += tx.lengths[i]!;
      if (this.record) this.written.push(Buffer.from(tx.slab.subarray(tx.offsets[i], tx.offsets[i]! + tx.lengths[i]!)));
    }
    this.writtenFrames += tx.count;
    return tx.count;
  }
}

export interface ReplayDatagram {
  bytes: Buffer;
  /** UDP_GRO segment size, 0 for a single packet. */
  seg: number;
  /** Source (underlay) address. */
  from: Uint8Array;
}

export interface SentMessage {
  to: string;
  bytes: Buffer;
  segSize: number;
}

/** A UDP tunnel socket replaying `datagrams` round-robin, `perBatch` per receive. */
export class ReplaySocket implements TunnelSocket {
  /** Without GSO it plays node:dgram (or, asked to, a raw GRE socket). */
  readonly kind: "batch" | "dgram" | "gre";
  readonly family = 4 as const;
  readonly localPort = 4789;
  get gro(): boolean {
    return this.kind !== "gre";
  }
  datagrams: ReplayDatagram[] = [];
  perBatch = 8;
  record = false;
  readonly sent: SentMessage[] = [];
  sentMessages = 0;
  sentBytes = 0;
  private next = 0;

  constructor(
    readonly gso: boolean,
    gre = false,
  ) {
    this.kind = gre ? "gre" : gso ? "batch" : "dgram";
  }

  recv(rx: RxBatch): number {
    let n = 0;
    while (n < this.perBatch && n < rx.capacity && this.datagrams.length > 0) {
      const d = this.datagrams[this.next++ % this.datagrams.length]!;
      d.bytes.copy(rx.slab, rx.offsetOf(n));
      rx.lengths[n] = d.bytes.length;
      rx.segSizes[n] = d.seg;
      rx.srcAddrs.set(d.from, n * 16);
      n++;
    }
    rx.count = n;
    return n;
  }

  send(tx: TxBatch): number {
    for (let i = 0; i < tx.count; i++) {
      this.sentBytes += tx.lengths[i]!;
      if (this.record) {
        const a = tx.dstAddrs.subarray(i * 16, i * 16 + 16);
        this.sent.push({ to: `${a[12]}.${a[13]}.${a[14]}.${a[15]}`, bytes: Buffer.from(tx.slab.subarray(tx.offsets[i], tx.offsets[i]! + tx.lengths[i]!)), segSize: tx.segSizes[i]! });
      }
    }
    this.sentMessages += tx.count;
    return tx.count;
  }

  onReadable(): void {}
  close(): void {}
}

export interface OffloadRig {
  tap: ReplayTap;
  socket: ReplaySocket;
  egress: EgressLoop;
  ingress: IngressLoop;
  stats: DataplaneStats;
  fdb: Fdb;
  peer: Peer;
}

export const PEER_ADDRESS = "198.18.0.2";

/**
 * One VXLAN segment (VNI 42; or GRE key 42) on a vnet TAP, one peer; the TAP loop may read TSO super-frames.
 * With `trunkVlan` the TAP is a trunk and the segment is that VLAN on it.
 */
export function buildOffloadRig(options: { gso: boolean; batchSize?: number; trunkVlan?: number; encap?: "vxlan" | "gre" }): OffloadRig {
  const gre = options.encap === "gre";
  const batchSize = options.batchSize ?? 64;
  const core = new SwitchCore({ family: 4, local: "198.18.0.1", peerPort: 4789, ageingMs: 300_000, maxEntries: 1024 });
  const socket = new ReplaySocket(options.gso && !gre, gre);
  const peer = core.model.addPeer(PEER_ADDRESS);
  const tap = new ReplayTap();
  // GRE: segment 42 is key 42, sent without checksum or sequence numbers.
  core.addSegments([{ id: 42, tap: tap.name, vlan: options.trunkVlan ?? 0, mtu: 1450, greKeyed: gre }]);
  const encap: Encapsulation = gre ? new GreEncap({ checksum: false, sequence: false }) : new VxlanEncap();
  const loops = core.wire([tap], { main: socket, senders: [] }, encap, {
    batchSize,
    tapSlot: 64 + 10 + 14 + 65535 + 4,
    tunnelSlot: 64 + 65535,
    maxFrame: 1450 + 18,
    dstPort: 4789,
    vnetHdr: true,
    family: 4,
  });
  return { tap, socket, egress: loops.egress[0]!, ingress: loops.ingress, stats: core.stats, fdb: core.fdb, peer };
}
