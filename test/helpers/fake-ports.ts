// In-memory TAP and tunnel socket for dataplane unit tests: queues in, recorded writes out.
import type { RxBatch, TxBatch } from "../../src/io/batch.js";
import type { TunnelSocket } from "../../src/io/tunnel-socket.js";
import { parseAddress } from "../../src/io/address.js";

export class FakeTap {
  readonly written: Buffer[] = [];
  readonly inbox: Buffer[] = [];
  constructor(readonly name: string) {}

  readBatch(rx: RxBatch): number {
    let n = 0;
    while (n < rx.capacity && this.inbox.length > 0) {
      const frame = this.inbox.shift()!;
      frame.copy(rx.slab, rx.offsetOf(n));
      rx.lengths[n] = frame.length;
      n++;
    }
    rx.count = n;
    return n;
  }

  writeBatch(tx: TxBatch): number {
    for (let i = 0; i < tx.count; i++) {
      this.written.push(Buffer.from(tx.slab.subarray(tx.offsets[i], tx.offsets[i]! + tx.lengths[i]!)));
    }
    return tx.count;
  }
}

export interface SentPacket {
  to: string;
  port: number;
  bytes: Buffer;
}

export class FakeTunnelSocket implements TunnelSocket {
  readonly kind = "dgram" as const;
  readonly family = 4 as const;
  readonly localPort = 4789;
  readonly gro = false;
  readonly gso = false;
  readonly sent: SentPacket[] = [];
  readonly inbox: { from: string; bytes: Buffer }[] = [];

  recv(rx: RxBatch): number {
    let n = 0;
    while (n < rx.capacity && this.inbox.length > 0) {
      const { from, bytes } = this.inbox.shift()!;
      bytes.copy(rx.slab, rx.offsetOf(n));
      rx.lengths[n] = bytes.length;
      rx.srcAddrs.set(parseAddress(from), n * 16);
      rx.segSizes[n] = 0;
      n++;
    }
    rx.count = n;
    return n;
  }

  send(tx: TxBatch): number {
    for (let i = 0; i < tx.count; i++) {
      const a = tx.dstAddrs.subarray(i * 16, i * 16 + 16);
      this.sent.push({
        to: `${a[12]}.${a[13]}.${a[14]}.${a[15]}`,
        port: tx.dstPorts[i]!,
        bytes: Buffer.from(tx.slab.subarray(tx.offsets[i], tx.offsets[i]! + tx.lengths[i]!)),
      });
    }
    return tx.count;
  }

  onReadable(): void {}
  close(): void {}
}
