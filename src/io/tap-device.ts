// TapDevice: a TAP interface (IFF_TAP|IFF_NO_PI, optionally IFF_VNET_HDR) with batched frame I/O.
import type { RxBatch, TxBatch } from "./batch.js";
import { parseAddress } from "./address.js";
import { FdWatch } from "./fd-watch.js";
import { loadNative, type NativeAddon } from "./native.js";

/** TUNSETOFFLOAD bits (linux/if_tun.h). */
export const TunOffload = {
  CSUM: 0x01,
  TSO4: 0x02,
  TSO6: 0x04,
  TSO_ECN: 0x08,
  UFO: 0x10,
  USO4: 0x20,
  USO6: 0x40,
} as const;

export interface TapOpenOptions {
  /** Frames carry a virtio-net header in front (needed for offloads). */
  vnetHdr?: boolean;
}

export class TapDevice {
  readonly ifindex: number;
  private readonly watch: FdWatch;
  private closed = false;

  private constructor(
    private readonly addon: NativeAddon,
    readonly fd: number,
    readonly name: string,
    readonly vnetHdr: boolean,
  ) {
    this.ifindex = addon.linkIndex(name);
    this.watch = new FdWatch(addon, fd);
  }

  /** Creates (or attaches to) TAP `name`; the TAP disappears when it is closed. */
  static open(name: string, options: TapOpenOptions = {}): TapDevice {
    const addon = loadNative();
    const vnetHdr = options.vnetHdr ?? false;
    const { fd, name: actual } = addon.tapOpen(name, vnetHdr);
    try {
      return new TapDevice(addon, fd, actual, vnetHdr);
    } catch (err) {
      addon.close(fd);
      throw err;
    }
  }

  get mac(): Buffer {
    return this.addon.linkMac(this.name);
  }

  setMac(mac: Uint8Array): void {
    this.addon.linkSetMac(this.name, mac);
  }

  getMtu(): number {
    return this.addon.linkGetMtu(this.name);
  }

  setMtu(mtu: number): void {
    this.addon.linkSetMtu(this.name, mtu);
  }

  up(): void {
    this.addon.linkSetUp(this.name, true);
  }

  down(): void {
    this.addon.linkSetUp(this.name, false);
  }

  /** Makes the TAP a port of `bridge` (which must exist in this namespace). */
  attach(bridge: string): void {
    this.addon.linkSetMaster(this.name, bridge);
  }

  /** IPv4 replaces the TAP's address, IPv6 adds one. */
  addAddress(address: string, prefixLen: number): void {
    this.addon.linkAddAddress(this.name, parseAddress(address), prefixLen);
  }

  /** TUNSETOFFLOAD with `TunOffload` bits; needs vnetHdr. */
  setOffload(flags: number): void {
    this.addon.tapSetOffload(this.fd, flags);
  }

  setVnetHdrSize(size: number): void {
    this.addon.tapSetVnetHdrSize(this.fd, size);
  }

  /** Reads up to rx.capacity frames (at rx.offsetOf(i)); sets rx.count; 0 when none ready. */
  readBatch(rx: RxBatch): number {
    const n = this.addon.readFrames(this.fd, rx.slab, rx.slotSize, rx.headroom, rx.lengths,
      rx.capacity);
    rx.count = n;
    return n;
  }

  /** Writes tx.count frames; returns how many the kernel took (the rest count as dropped). */
  writeBatch(tx: TxBatch): number {
    return this.addon.writeFrames(this.fd, tx.slab, tx.offsets, tx.lengths, tx.count);
  }

  /**
   * Calls cb once per wakeup while frames are waiting; replaces an earlier callback. With
   * onError, a poll error (the TAP was deleted) stops the watch and goes there instead of
   * being retried.
   */
  onReadable(cb: () => void, onError?: (err: Error) => void): void {
    this.watch.set(cb, onError);
  }

  /** Stops polling and closes the fd, which removes the TAP. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watch.stop();
    this.addon.close(this.fd);
  }
}

/** What the loops need of a TAP: TapDevice in production, an in-memory port in unit tests. */
export type FramePort = Pick<TapDevice, "name" | "readBatch" | "writeBatch">;
