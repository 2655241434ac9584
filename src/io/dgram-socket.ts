// DgramSocket: the portable UDP tunnel socket on node:dgram, behind the same batch interface.
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { TX_FAILED, TX_SENT, TX_UNSENT, type RxBatch, type TxBatch } from "./batch.js";
import { ADDR_LEN, addressHash, formatAddress, isV4Mapped, parseAddress, sameAddress, v4Key } from "./address.js";
import type { TunnelSocket } from "./tunnel-socket.js";

export interface DgramSocketOptions {
  family: 4 | 6;
  address?: string;
  port?: number;
  reuseAddr?: boolean;
  rcvBuf?: number;
  sndBuf?: number;
  /** Datagrams held between 'message' events and recv(); more are dropped. Default 1024. */
  rxQueue?: number;
  /** Send buffers in flight (node:dgram sends later than send() returns). Default 256. */
  txSlots?: number;
  /** Largest datagram sent; bigger ones are dropped. Default 9216 (jumbo). */
  maxDatagram?: number;
}

/** Counters of this socket (node:dgram reports nothing per packet otherwise). */
export interface DgramSocketStats {
  /** Received but dropped: queue full or bigger than an rx slot. */
  rxDropped: number;
  /** Not sent: all send buffers in flight, too big, or an address of the wrong family. */
  txDropped: number;
  /** Sends node:dgram reported failed afterwards. */
  sendErrors: number;
  lastError: string;
}

/** Cached text of an IPv6 peer address; chained on hash collisions. */
interface V6Text {
  bytes: Uint8Array;
  text: string;
  next: V6Text | undefined;
}

const ADDRESS_CACHE_MAX = 4096;

const bindHints: Record<string, string> = {
  EADDRINUSE: "the address and port are already in use (another vxswitch, or a kernel vxlan?)",
  EADDRNOTAVAIL: "that address is not configured on an interface in this network namespace",
  EACCES: "ports below 1024 need root or CAP_NET_BIND_SERVICE",
};

/**
 * Receive copies each datagram node hands us into the rx slab (that copy is the price of
 * node:dgram); send copies each message into a ring of send buffers because node sends it
 * after send() returns. No per-packet allocation here beyond what node:dgram does itself.
 */
export class DgramSocket implements TunnelSocket {
  readonly kind = "dgram" as const;
  readonly gro = false;
  readonly gso = false;
  readonly stats: DgramSocketStats = { rxDropped: 0, txDropped: 0, sendErrors: 0, lastError: "" };

  // Receive queue: a ring of datagrams with their source address and port.
  private readonly rxMsgs: (Buffer | undefined)[];
  private readonly rxAddrs: Uint8Array;
  private readonly rxPorts: Uint16Array;
  private rxHead = 0;
  private rxCount = 0;
  /** Source address text -> 16 bytes, so a 'message' parses each peer's address once. */
  private readonly srcBytes = new Map<string, Uint8Array>();

  // Send ring: slot i is txRing[i * maxDatagram ...]; sends complete in order.
  private readonly txRing: Buffer;
  private readonly txSlots: number;
  private readonly maxDatagram: number;
  private txHead = 0;
  private txInFlight = 0;
  /** Destination text per peer, so no string is built per packet. */
  private readonly v4Text = new Map<number, string>();
  private readonly v6Text = new Map<number, V6Text>();

  private readableCb: (() => void) | undefined;
  private scheduled = false;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly family: 4 | 6,
    readonly localPort: number,
    options: DgramSocketOptions,
  ) {
    const queue = options.rxQueue ?? 1024;
    this.rxMsgs = new Array<Buffer | undefined>(queue).fill(undefined);
    this.rxAddrs = new Uint8Array(queue * ADDR_LEN);
    this.rxPorts = new Uint16Array(queue);
    this.txSlots = options.txSlots ?? 256;
    this.maxDatagram = options.maxDatagram ?? 9216;
    this.txRing = Buffer.allocUnsafe(this.txSlots * this.maxDatagram);
    socket.on("message", this.onMessage);
    socket.on("error", (err: Error) => {
      this.stats.lastError = err.message;
    });
  }

  static async open(options: DgramSocketOptions): Promise<DgramSocket> {
    const { family } = options;
    const address = options.address ?? (family === 4 ? "0.0.0.0" : "::");
    const port = options.port ?? 0;
    const socket = createSocket({
      type: family === 4 ? "udp4" : "udp6",
      reuseAddr: options.reuseAddr ?? false,
      ipv6Only: family === 6,
      recvBufferSize: options.rcvBuf,
      sendBufferSize: options.sndBuf,
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        socket.close();
        const code = err.code ?? "EIO";
        const hint = bindHints[code] ?? err.message;
        reject(Object.assign(new Error(`cannot open a UDP socket on ${address} port ${port}: ${code} — ${hint}`),
          { code, errno: err.errno, syscall: "bind" }));
      };
      socket.once("error", onError);
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off("error", onError);
        resolve();
      });
    });
    return new DgramSocket(socket, family, socket.address().port, options);
  }

  private readonly onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const queue = this.rxMsgs.length;
    if (this.rxCount === queue) {
      this.stats.rxDropped++;
      return;
    }
    let src = this.srcBytes.get(rinfo.address);
    if (src === undefined) {
      if (this.srcBytes.size >= ADDRESS_CACHE_MAX) this.srcBytes.clear();
      src = parseAddress(rinfo.address);
      this.srcBytes.set(rinfo.address, src);
    }
    const i = (this.rxHead + this.rxCount) % queue;
    this.rxMsgs[i] = msg;
    this.rxAddrs.set(src, i * ADDR_LEN);
    this.rxPorts[i] = rinfo.port;
    this.rxCount++;
    this.schedule();
  };

  /** One callback per event-loop turn with data, after node has queued that turn's messages. */
  private schedule(): void {
    if (this.scheduled || this.readableCb === undefined || this.closed) return;
    this.scheduled = true;
    setImmediate(this.fire);
  }

  private readonly fire = (): void => {
    this.scheduled = false;
    if (this.rxCount > 0 && !this.closed) this.readableCb?.();
  };

  recv(rx: RxBatch): number {
    const queue = this.rxMsgs.length;
    const room = rx.slotSize - rx.headroom;
    let n = 0;
    while (this.rxCount > 0 && n < rx.capacity) {
      const i = this.rxHead;
      const msg = this.rxMsgs[i] as Buffer;
      this.rxMsgs[i] = undefined;
      this.rxHead = (i + 1) % queue;
      this.rxCount--;
      if (msg.length > room) {
        this.stats.rxDropped++;
        continue;
      }
      msg.copy(rx.slab, n * rx.slotSize + rx.headroom);
      rx.lengths[n] = msg.length;
      for (let b = 0; b < ADDR_LEN; b++) rx.srcAddrs[n * ADDR_LEN + b] = this.rxAddrs[i * ADDR_LEN + b];
      rx.srcPorts[n] = this.rxPorts[i];
      rx.segSizes[n] = 0;
      n++;
    }
    rx.count = n;
    // Level-triggered like the native sockets: more waiting means another callback.
    if (this.rxCount > 0) this.schedule();
    return n;
  }

  send(tx: TxBatch): number {
    let sent = 0;
    for (let i = 0; i < tx.count; i++) {
      const text = this.addressText(tx.dstAddrs, i * ADDR_LEN);
      if (text === undefined) {
        this.stats.txDropped++;
        tx.status[i] = TX_FAILED;
        continue;
      }
      const port = tx.dstPorts[i];
      const offset = tx.offsets[i];
      const length = tx.lengths[i];
      const seg = tx.segSizes[i];
      let ok: boolean;
      if (seg === 0 || length <= seg) {
        ok = this.sendOne(tx.slab, offset, length, port, text);
      } else {
        // A GSO train (not asked for, gso is false): its segments are whole datagrams.
        ok = true;
        for (let p = 0; p < length; p += seg) {
          ok = this.sendOne(tx.slab, offset + p, Math.min(seg, length - p), port, text) && ok;
        }
      }
      tx.status[i] = ok ? TX_SENT : TX_UNSENT;
      if (ok) sent++;
    }
    return sent;
  }

  private sendOne(slab: Buffer, offset: number, length: number, port: number, text: string): boolean {
    if (length > this.maxDatagram || this.txInFlight === this.txSlots) {
      this.stats.txDropped++;
      return false;
    }
    const at = this.txHead * this.maxDatagram;
    slab.copy(this.txRing, at, offset, offset + length);
    this.txHead = (this.txHead + 1) % this.txSlots;
    this.txInFlight++;
    this.socket.send(this.txRing, at, length, port, text, this.onSent);
    return true;
  }

  // node:dgram completes sends in order, so the oldest in-flight slot is the one released.
  private readonly onSent = (err: Error | null): void => {
    this.txInFlight--;
    if (err) {
      this.stats.sendErrors++;
      this.stats.lastError = err.message;
    }
  };

  /** Text of the destination at addrs[offset..+16), cached per peer; undefined: wrong family. */
  private addressText(addrs: Uint8Array, offset: number): string | undefined {
    const mapped = isV4Mapped(addrs, offset);
    if (mapped !== (this.family === 4)) return undefined;
    if (mapped) {
      const key = v4Key(addrs, offset);
      let text = this.v4Text.get(key);
      if (text === undefined) {
        if (this.v4Text.size >= ADDRESS_CACHE_MAX) this.v4Text.clear();
        text = formatAddress(addrs, offset);
        this.v4Text.set(key, text);
      }
      return text;
    }
    const key = addressHash(addrs, offset);
    const head = this.v6Text.get(key);
    for (let e = head; e !== undefined; e = e.next) {
      if (sameAddress(e.bytes, 0, addrs, offset)) return e.text;
    }
    if (this.v6Text.size >= ADDRESS_CACHE_MAX) this.v6Text.clear();
    const bytes = addrs.slice(offset, offset + ADDR_LEN);
    const text = formatAddress(bytes, 0);
    this.v6Text.set(key, { bytes, text, next: this.v6Text.size === 0 ? undefined : head });
    return text;
  }

  /**
   * Joins a multicast group and sends group traffic out of the interface that has
   * `interfaceAddress` (by route when absent). The socket must be bound to the wildcard.
   */
  joinGroup(group: string, options: { interfaceAddress?: string; ttl?: number; loop?: boolean } = {}): void {
    this.socket.addMembership(group, options.interfaceAddress);
    if (options.interfaceAddress !== undefined) this.socket.setMulticastInterface(options.interfaceAddress);
    this.socket.setMulticastTTL(options.ttl ?? 1);
    this.socket.setMulticastLoopback(options.loop ?? false);
  }

  /** Sends handed to node:dgram that have not completed yet. */
  get pendingSends(): number {
    return this.txInFlight;
  }

  onReadable(cb: () => void): void {
    this.readableCb = cb;
    if (this.rxCount > 0) this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.readableCb = undefined;
    this.rxMsgs.fill(undefined);
    this.rxCount = 0;
    this.socket.close();
  }
}
