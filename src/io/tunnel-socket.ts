// The batch interface every underlay socket implements (UDP batch, node:dgram, raw GRE).
import type { RxBatch, TxBatch } from "./batch.js";

export type TunnelKind = "batch" | "dgram" | "gre";

export interface TunnelSocket {
  readonly kind: TunnelKind;
  readonly family: 4 | 6;
  /** Bound UDP port; 0 for GRE. */
  readonly localPort: number;
  /** The socket's fd when it is a native one (busy polling spins on it); node:dgram has none to give. */
  readonly fd?: number;
  /** Received datagrams may be GRO trains (rx.segSizes[i] > 0). */
  readonly gro: boolean;
  /** send() honours tx.segSizes[i] > 0 (one message, many segments). */
  readonly gso: boolean;
  /** UDP_SEGMENT was on and the kernel's refusal (EIO/EINVAL) switched it off for this socket. */
  readonly gsoDisabled?: boolean;
  /** Fills rx from slot 0 (sets rx.count) and returns the count; 0 when nothing is ready. */
  recv(rx: RxBatch): number;
  /** Sends tx.count messages; returns how many went out, the caller counts the rest dropped. */
  send(tx: TxBatch): number;
  /** Calls cb once per wakeup while data is ready; replaces an earlier callback. */
  onReadable(cb: () => void): void;
  close(): void;
}

/** The tunnel sockets of one switch. */
export interface TunnelSockets {
  /** The socket bound to the tunnel port: receives, and sends when there is no send pool. */
  readonly main: TunnelSocket;
  /** Sockets on ephemeral ports chosen by the inner flow hash so the outer source port varies. */
  readonly senders: TunnelSocket[];
}
