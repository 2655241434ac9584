// Readiness of one fd: wraps the addon's uv_poll so a callback can be set, replaced and stopped.
import type { NativeAddon, PollHandle } from "./native.js";

export class FdWatch {
  private handle: PollHandle | undefined;

  constructor(private readonly addon: NativeAddon, private readonly fd: number) {}

  /** Calls cb once per readable wakeup (level-triggered: again while data stays unread). */
  set(cb: () => void): void {
    this.stop();
    this.handle = this.addon.pollStart(this.fd, cb);
  }

  /** Whether this watch alone keeps the process alive. */
  ref(keepAlive: boolean): void {
    if (this.handle) this.addon.pollSetRef(this.handle, keepAlive);
  }

  stop(): void {
    if (this.handle) {
      this.addon.pollStop(this.handle);
      this.handle = undefined;
    }
  }
}
