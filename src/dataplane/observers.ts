// Capture and trace taps on the loops: one boolean check per batch (or per frame in per-frame code) while nobody listens.
import type { RxBatch, TxBatch } from "../io/batch.js";
import type { TunnelSocket } from "../io/tunnel-socket.js";
import type { TapTable } from "../switch/tables.js";

export type Direction = "egress" | "ingress";

/**
 * What a capture or trace sees of the loops. Every method is optional; each gets the loop's own
 * buffers, valid only during the call (the next batch reuses them): copy what you keep.
 */
export interface DataplaneObserver {
  /** TAP frames as read, before any decision (behind a virtio-net header when the TAP has one). */
  egressBatch?(rx: RxBatch, count: number, tap: TapTable): void;
  /** Tunnel messages about to be sent: tunnel header + inner frame; segSizes[i] > 0 is a GSO train. */
  egressSend?(tx: TxBatch, socket: TunnelSocket): void;
  /** Datagrams as received: tunnel header + inner frame; segSizes[i] > 0 is a GRO train. */
  ingressBatch?(rx: RxBatch, count: number): void;
  /** One TAP frame starts its way through the egress loop (as read: maybe behind a virtio-net header). */
  egressFrame?(slab: Buffer, off: number, len: number, tap: TapTable): void;
  /**
   * One tunnel packet (or a coalesced run of `packets`) starts its way through the ingress loop:
   * the sender's 16-byte address at src[srcOff], the tunnel header at tunnel[tunnelOff], the inner
   * frame at frame[frameOff, frameOff + frameLen). frameOff < 0: the frame follows the tunnel
   * header and frameLen counts both.
   */
  ingressFrame?(src: Uint8Array, srcOff: number, tunnel: Buffer, tunnelOff: number, frame: Buffer, frameOff: number, frameLen: number, packets: number): void;
  /** The forwarder's decision for the current frame (endpoint id, FLOOD or a drop code). */
  decided?(direction: Direction, decision: number, segment: number, from: number): void;
  /** The loop finished deciding a batch (drops counted after this belong to no single frame). */
  batchEnd?(direction: Direction): void;
}

export class Observers {
  /** True while at least one observer is attached; the loops test only this. */
  active = false;
  private list: DataplaneObserver[] = [];

  add(observer: DataplaneObserver): () => void {
    this.list = [...this.list, observer];
    this.active = true;
    return () => {
      this.list = this.list.filter((o) => o !== observer);
      this.active = this.list.length > 0;
    };
  }

  get count(): number {
    return this.list.length;
  }

  egressBatch(rx: RxBatch, count: number, tap: TapTable): void {
    for (const o of this.list) o.egressBatch?.(rx, count, tap);
  }

  egressSend(tx: TxBatch, socket: TunnelSocket): void {
    for (const o of this.list) o.egressSend?.(tx, socket);
  }

  ingressBatch(rx: RxBatch, count: number): void {
    for (const o of this.list) o.ingressBatch?.(rx, count);
  }

  egressFrame(slab: Buffer, off: number, len: number, tap: TapTable): void {
    for (const o of this.list) o.egressFrame?.(slab, off, len, tap);
  }

  ingressFrame(src: Uint8Array, srcOff: number, tunnel: Buffer, tunnelOff: number, frame: Buffer, frameOff: number, frameLen: number, packets: number): void {
    for (const o of this.list) o.ingressFrame?.(src, srcOff, tunnel, tunnelOff, frame, frameOff, frameLen, packets);
  }

  decided(direction: Direction, decision: number, segment: number, from: number): void {
    for (const o of this.list) o.decided?.(direction, decision, segment, from);
  }

  batchEnd(direction: Direction): void {
    for (const o of this.list) o.batchEnd?.(direction);
  }
}
