// Frames bound for local ports: zero-copy where the frame can be written as it lies, a copy otherwise.
import { TxBatch } from "../io/batch.js";
import { insertVlanTag } from "../wire/ethernet.js";
import { VIRTIO_NET_HDR_LEN, shiftVnetHeader } from "../wire/virtio-net.js";
import type { PortTable } from "../switch/tables.js";
import type { FramePort } from "../io/tap-device.js";

/**
 * One write batch per TAP pointing into the loop's slab, plus a copy slab for frames that must
 * be written in more than one form (flooded to two ports that tag differently).
 *
 * With `vnet` (TAPs opened with IFF_VNET_HDR) every frame is written behind a 10-byte
 * virtio-net header: a zeroed one for plain frames (`zeroCopy`, `copy`), or the one lying in
 * front of the frame for offloaded ones (`zeroCopyVnet`, `copyVnet`: GSO super-frames).
 */
export class LocalDelivery {
  private readonly direct: TxBatch[];
  private readonly copies: TxBatch[];
  private readonly copySlab: Buffer;
  private readonly hdr: number;
  private copyUsed = 0;

  constructor(
    /** The TAPs, by index (a port names its TAP by index). */
    private readonly taps: readonly FramePort[],
    slab: Buffer,
    capacity: number,
    copyBytes: number,
    private readonly maxFrame: number,
    private readonly vnet = false,
  ) {
    this.direct = taps.map(() => new TxBatch(capacity, slab));
    this.copySlab = Buffer.alloc(copyBytes);
    this.copies = taps.map(() => new TxBatch(capacity, this.copySlab));
    this.hdr = vnet ? VIRTIO_NET_HDR_LEN : 0;
  }

  /**
   * Queues the frame at slab[off, off+len) for the port. The bytes in front of off may be
   * overwritten (a tag, a zeroed virtio-net header); returns false when the batch is full.
   */
  zeroCopy(port: PortTable, slab: Buffer, off: number, len: number): boolean {
    const txb = this.direct[port.tap]!;
    if (txb.full) return false;
    let start = off;
    let n = len;
    if (port.vlan !== 0) {
      start = insertVlanTag(slab, off, port.vlan);
      n += 4;
    }
    if (this.vnet) {
      start -= VIRTIO_NET_HDR_LEN;
      slab.fill(0, start, start + VIRTIO_NET_HDR_LEN);
      n += VIRTIO_NET_HDR_LEN;
    }
    txb.pushFrame(start, n);
    return true;
  }

  /** Like zeroCopy, keeping the virtio-net header at off - 10 (vnet TAPs only). */
  zeroCopyVnet(port: PortTable, slab: Buffer, off: number, len: number): boolean {
    const txb = this.direct[port.tap]!;
    if (txb.full) return false;
    if (port.vlan === 0) {
      txb.pushFrame(off - VIRTIO_NET_HDR_LEN, len + VIRTIO_NET_HDR_LEN);
      return true;
    }
    // The header moves first: the tag's 4 bytes land where its tail was.
    shiftVnetHeader(slab, off - VIRTIO_NET_HDR_LEN, -4);
    const start = insertVlanTag(slab, off, port.vlan);
    txb.pushFrame(start - VIRTIO_NET_HDR_LEN, len + 4 + VIRTIO_NET_HDR_LEN);
    return true;
  }

  /** Copies the frame (tagging it for a trunk port) into the copy slab and queues it. */
  copy(port: PortTable, slab: Buffer, off: number, len: number): boolean {
    const at = this.reserve(port, len);
    if (at < 0) return false;
    slab.copy(this.copySlab, at, off, off + len);
    if (this.vnet) this.copySlab.fill(0, at - VIRTIO_NET_HDR_LEN, at);
    this.queueCopy(port, at, len);
    return true;
  }

  /** Like copy, with the virtio-net header at off - 10 (vnet TAPs only). */
  copyVnet(port: PortTable, slab: Buffer, off: number, len: number): boolean {
    const at = this.reserve(port, len);
    if (at < 0) return false;
    slab.copy(this.copySlab, at - VIRTIO_NET_HDR_LEN, off - VIRTIO_NET_HDR_LEN, off + len);
    this.queueCopy(port, at, len);
    return true;
  }

  /** Writes every queued batch; reports frames that did not go out. */
  flush(onShort: (lost: number) => void): void {
    for (let t = 0; t < this.taps.length; t++) {
      this.flushOne(t, this.direct[t]!, onShort);
      this.flushOne(t, this.copies[t]!, onShort);
    }
    this.copyUsed = 0;
  }

  private flushOne(t: number, txb: TxBatch, onShort: (lost: number) => void): void {
    if (txb.count === 0) return;
    const written = this.taps[t]!.writeBatch(txb);
    if (written < txb.count) onShort(txb.count - written);
    txb.clear();
  }

  /** Where a copy of len bytes goes in the copy slab (room for a tag and a header in front), or -1. */
  private reserve(port: PortTable, len: number): number {
    const txb = this.copies[port.tap]!;
    const need = 4 + this.hdr + len + 4;
    if (txb.full || this.copyUsed + need > this.copySlab.length || len > this.maxFrame) return -1;
    const at = this.copyUsed + 4 + this.hdr;
    this.copyUsed += (need + 7) & ~7;
    return at;
  }

  private queueCopy(port: PortTable, at: number, len: number): void {
    const txb = this.copies[port.tap]!;
    if (port.vlan === 0) {
      txb.pushFrame(at - this.hdr, len + this.hdr);
      return;
    }
    if (this.vnet) shiftVnetHeader(this.copySlab, at - VIRTIO_NET_HDR_LEN, -4);
    const start = insertVlanTag(this.copySlab, at, port.vlan);
    txb.pushFrame(start - this.hdr, len + 4 + this.hdr);
  }
}
