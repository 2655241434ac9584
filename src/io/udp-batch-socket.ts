// UdpBatchSocket: a UDP tunnel socket on recvmmsg/sendmmsg with UDP_GRO / UDP_SEGMENT when the kernel has them.
import type { RxBatch, TxBatch } from "./batch.js";
import { parseAddress } from "./address.js";
import { FdWatch } from "./fd-watch.js";
import { loadNative, type NativeAddon } from "./native.js";
import type { TunnelSocket } from "./tunnel-socket.js";

/** Largest datagram UDP_GRO can hand up: a GRO-enabled socket needs slots with this much room. */
export const GRO_MAX_DATAGRAM = 65535;

const DEFAULT_BUFFER_BYTES = 4 << 20;

export interface UdpBatchSocketOptions {
  family: 4 | 6;
  /** Local address; the wildcard by default (needed to receive multicast). */
  address?: string;
  /** 0 = ephemeral. */
  port?: number;
  /** Ask for UDP_GRO; `gro` on the socket says whether it is on. */
  gro?: boolean;
  /** Ask for UDP_SEGMENT; `gso` on the socket says whether the kernel has it. */
  gso?: boolean;
  reuseAddr?: boolean;
  reusePort?: boolean;
  /** Socket buffers in bytes; 4 MiB by default. */
  rcvBuf?: number;
  sndBuf?: number;
}

export interface JoinGroupOptions {
  /** Interface (by name) to join on and send out of; by route when absent. */
  ifname?: string;
  ttl?: number;
  /** Whether our own multicast sends come back to us. Off by default, like kernel vxlan. */
  loop?: boolean;
}

export class UdpBatchSocket implements TunnelSocket {
  readonly kind = "batch" as const;
  private readonly watch: FdWatch;
  private closed = false;
  /** [family, gso on]: the addon reads the family from here and switches gso off in place. */
  private readonly state: Int32Array;

  private constructor(
    private readonly addon: NativeAddon,
    readonly fd: number,
    readonly family: 4 | 6,
    readonly localPort: number,
    readonly gro: boolean,
    /** The kernel had UDP_SEGMENT when the socket opened. */
    readonly gsoProbed: boolean,
  ) {
    this.watch = new FdWatch(addon, fd);
    this.state = Int32Array.of(family, gsoProbed ? 1 : 0);
  }

  /** UDP_SEGMENT in use: false once the kernel refused a train (EIO/EINVAL), for good on this socket. */
  get gso(): boolean {
    return this.state[1] === 1;
  }

  /** GSO was on and the kernel's refusal switched it off. */
  get gsoDisabled(): boolean {
    return this.gsoProbed && this.state[1] === 0;
  }

  static open(options: UdpBatchSocketOptions): UdpBatchSocket {
    const addon = loadNative();
    const { family } = options;
    const address = parseAddress(options.address ?? (family === 4 ? "0.0.0.0" : "::"));
    const opened = addon.udpOpen(family, address, options.port ?? 0, {
      gro: options.gro ?? false,
      gso: options.gso ?? false,
      reuseAddr: options.reuseAddr ?? false,
      reusePort: options.reusePort ?? false,
      rcvBuf: options.rcvBuf ?? DEFAULT_BUFFER_BYTES,
      sndBuf: options.sndBuf ?? DEFAULT_BUFFER_BYTES,
    });
    return new UdpBatchSocket(addon, opened.fd, family, opened.port, opened.gro, opened.gso);
  }

  /** Joins a multicast group (e.g. 239.1.1.1) and sends group traffic out of `ifname`. */
  joinGroup(group: string, options: JoinGroupOptions = {}): void {
    const ifindex = options.ifname === undefined ? 0 : this.addon.linkIndex(options.ifname);
    this.addon.udpJoinGroup(this.fd, parseAddress(group), ifindex, options.ttl ?? 1,
      options.loop ?? false);
  }

  /**
   * Receives up to rx.capacity datagrams. With GRO on, a datagram can be a train of up to
   * 64 KiB (rx.segSizes[i] = segment size), so the slots must have room for GRO_MAX_DATAGRAM.
   */
  recv(rx: RxBatch): number {
    if (this.gro && rx.slotSize - rx.headroom < GRO_MAX_DATAGRAM) {
      throw new RangeError(
        `a UDP_GRO socket needs slots of at least ${GRO_MAX_DATAGRAM + rx.headroom} bytes ` +
          `(got ${rx.slotSize}); use bigger slots or open with gro: false`,
      );
    }
    const n = this.addon.udpRecv(this.fd, rx.slab, rx.slotSize, rx.headroom, rx.lengths,
      rx.srcAddrs, rx.srcPorts, rx.segSizes, rx.capacity);
    rx.count = n;
    return n;
  }

  /** Sends tx.count datagrams (segSizes[i] > 0: one UDP_SEGMENT train); returns how many went, tx.status says which. */
  send(tx: TxBatch): number {
    return this.addon.udpSend(this.fd, tx.slab, tx.offsets, tx.lengths, tx.dstAddrs, tx.dstPorts,
      tx.segSizes, tx.count, this.state, tx.status);
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
