// Frames bound for local ports: zero-copy where the frame can be written as it lies, a copy otherwise.
import { TxBatch } from "../io/batch.js";
import { insertVlanTag } from "../wire/ethernet.js";
import type { PortRuntime, TapRuntime } from "./runtime.js";

/**
 * One write batch per TAP pointing into the loop's receive slab, plus a copy slab for frames
 * that must be written in more than one form (flooded to two ports that tag differently).
 */
export class LocalDelivery {
  private readonly direct: TxBatch[];
  private readonly copies: TxBatch[];
  private readonly copySlab: Buffer;
  private copyUsed = 0;

  constructor(
    private readonly taps: TapRuntime[],
    rxSlab: Buffer,
    capacity: number,
    copyBytes: number,
    private readonly maxFrame: number,
  ) {
    this.direct = taps.map(() => new TxBatch(capacity, rxSlab));
    this.copySlab = Buffer.alloc(copyBytes);
    this.copies = taps.map(() => new TxBatch(capacity, this.copySlab));
  }

  /**
   * Queues the frame at slab[off, off+len) for the port. `headroom` says how many bytes in front
   * of off may be overwritten (for a tag); returns false when the batch is full.
   */
  zeroCopy(port: PortRuntime, slab: Buffer, off: number, len: number): boolean {
    const txb = this.direct[port.tap.index]!;
    if (txb.full) return false;
    if (port.vlan !== 0) {
      const start = insertVlanTag(slab, off, port.vlan);
      txb.pushFrame(start, len + 4);
    } else {
      txb.pushFrame(off, len);
    }
    return true;
  }

  /** Copies the frame (tagging it for a trunk port) into the copy slab and queues it. */
  copy(port: PortRuntime, slab: Buffer, off: number, len: number): boolean {
    const txb = this.copies[port.tap.index]!;
    const need = len + 4;
    if (txb.full || this.copyUsed + need + 4 > this.copySlab.length || need > this.maxFrame + 4) return false;
    const at = this.copyUsed + 4;
    slab.copy(this.copySlab, at, off, off + len);
    this.copyUsed += need + 4;
    if (port.vlan !== 0) txb.pushFrame(insertVlanTag(this.copySlab, at, port.vlan), len + 4);
    else txb.pushFrame(at, len);
    return true;
  }

  /** Writes every queued batch; reports frames that did not go out. */
  flush(onShort: (lost: number) => void): void {
    for (let t = 0; t < this.taps.length; t++) {
      for (const txb of [this.direct[t]!, this.copies[t]!]) {
        if (txb.count === 0) continue;
        const written = this.taps[t]!.device.writeBatch(txb);
        if (written < txb.count) onShort(txb.count - written);
        txb.clear();
      }
    }
    this.copyUsed = 0;
  }
}
