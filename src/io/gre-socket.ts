// GreSocket: Ethernet-over-GRE on a raw IPPROTO_GRE socket; payloads start at the GRE header.
import type { RxBatch, TxBatch } from "./batch.js";
import { parseAddress } from "./address.js";
import { FdWatch } from "./fd-watch.js";
import { loadNative, type NativeAddon } from "./native.js";
import type { TunnelSocket } from "./tunnel-socket.js";

const DEFAULT_BUFFER_BYTES = 4 << 20;

export interface GreSocketOptions {
  family: 4 | 6;
  /** Local underlay address: received packets are filtered by it and sent from it. */
  address?: string;
  rcvBuf?: number;
  sndBuf?: number;
}

/**
 * Every GRE packet for the local address reaches this socket (the kernel has no gretap here;
 * a raw socket also stops it answering GRE with ICMP protocol-unreachable). No offloads:
 * `gso` is false, so tx.segSizes must be 0.
 */
export class GreSocket implements TunnelSocket {
  readonly kind = "gre" as const;
  readonly localPort = 0;
  readonly gro = false;
  readonly gso = false;
  private readonly watch: FdWatch;
  private closed = false;
  /** [family, gso off]: the addon takes the family from here, not from a cache keyed by fd number. */
  private readonly state: Int32Array;

  private constructor(private readonly addon: NativeAddon, readonly fd: number,
    readonly family: 4 | 6) {
    this.watch = new FdWatch(addon, fd);
    this.state = Int32Array.of(family, 0);
  }

  static open(options: GreSocketOptions): GreSocket {
    const addon = loadNative();
    const { family } = options;
    const address = parseAddress(options.address ?? (family === 4 ? "0.0.0.0" : "::"));
    const { fd } = addon.greOpen(family, address, {
      rcvBuf: options.rcvBuf ?? DEFAULT_BUFFER_BYTES,
      sndBuf: options.sndBuf ?? DEFAULT_BUFFER_BYTES,
    });
    return new GreSocket(addon, fd, family);
  }

  /** Receives GRE packets (IP header removed); srcPorts and segSizes are set to 0. */
  recv(rx: RxBatch): number {
    const n = this.addon.greRecv(this.fd, rx.slab, rx.slotSize, rx.headroom, rx.lengths,
      rx.srcAddrs, rx.capacity, this.state);
    rx.srcPorts.fill(0, 0, n);
    rx.segSizes.fill(0, 0, n);
    rx.count = n;
    return n;
  }

  /** Sends tx.count GRE packets (the kernel adds the IP header); dstPorts are ignored. */
  send(tx: TxBatch): number {
    return this.addon.greSend(this.fd, tx.slab, tx.offsets, tx.lengths, tx.dstAddrs, tx.count,
      this.state, tx.status);
  }

  onReadable(cb: () => void): void {
    this.watch.set(cb);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watch.stop();
    this.addon.close(this.fd);
  }
}
