// Capture and trace taps on the loops: one boolean check per batch while nobody listens.
import type { RxBatch } from "../io/batch.js";
import type { TapRuntime } from "./runtime.js";

export type BatchObserver = (direction: "egress" | "ingress", rx: RxBatch, count: number, tap?: TapRuntime) => void;

export class Observers {
  /** True while at least one observer is attached; the loops test only this. */
  active = false;
  private readonly list = new Set<BatchObserver>();

  add(observer: BatchObserver): () => void {
    this.list.add(observer);
    this.active = true;
    return () => {
      this.list.delete(observer);
      this.active = this.list.size > 0;
    };
  }

  egressBatch(rx: RxBatch, count: number, tap: TapRuntime): void {
    for (const o of this.list) o("egress", rx, count, tap);
  }

  ingressBatch(rx: RxBatch, count: number): void {
    for (const o of this.list) o("ingress", rx, count);
  }
}
