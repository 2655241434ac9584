// What a healthy TCP path through the overlay has to show: goodput above a floor and
// retransmissions under a ceiling, with the figures printed either way for the record.
import { expect } from "vitest";
import type { IperfResult } from "../../lab/traffic.js";
import { because } from "./lab.js";

/**
 * Floors sit at 1/5..1/10 of what the path typically moves on the 2-core test machine, so a
 * loaded machine passes and a broken path (checksum errors, lost segments, a stall) does not.
 */
export interface TcpFloor {
  /** Goodput at the receiver, bits per second. */
  minBitsPerSecond: number;
  /** Retransmitted segments per segment sent (after subtracting losses the peer accounts for). */
  maxRetransmitFraction: number;
}

/** Kernel vxlan and vxswitch (batch I/O, TAP offloads): 1.4–9 Gbit/s typical (1.2–3.5 under load), retransmits < 0.05%. */
export const FAST_PATH: TcpFloor = { minBitsPerSecond: 500e6, maxRetransmitFraction: 0.01 };
/** vxswitch to vxswitch over GRE (one raw-socket message per segment): 0.45–0.7 Gbit/s typical here, 0.17 seen under load. */
export const GRE_PATH: TcpFloor = { minBitsPerSecond: 80e6, maxRetransmitFraction: 0.01 };
/** Without TAP offloads (one frame per write, no super-frames): 0.5–1.1 Gbit/s typical (0.3 under load). */
export const PLAIN_PATH: TcpFloor = { minBitsPerSecond: 80e6, maxRetransmitFraction: 0.01 };
/** node:dgram I/O (one datagram per syscall): 0.4–0.55 Gbit/s typical (0.18 under load). */
export const DGRAM_PATH: TcpFloor = { minBitsPerSecond: 40e6, maxRetransmitFraction: 0.01 };
/**
 * Open vSwitch's userspace datapath: 0.3–1.3 Gbit/s typical (0.1–0.45 under load). It reads its ports with AF_PACKET
 * sockets whose receive buffer is the kernel default (212992 bytes, not settable per namespace)
 * and drops what does not fit: 10–20% of segments at full speed. Those drops are counted by the
 * socket (see ovsSocketDrops) and subtracted before the ceiling applies.
 */
export const OVS_PATH: TcpFloor = { minBitsPerSecond: 40e6, maxRetransmitFraction: 0.01 };

/** Segments the sender put on the wire, estimated from bytes and MSS (1448 when iperf3 gives none). */
export function segmentsSent(result: IperfResult): number {
  const mss = result.mss > 0 ? result.mss : 1448;
  return Math.max(1, Math.round(result.bytesSent / mss));
}

export interface TcpCheck {
  floor: TcpFloor;
  /** e.g. "kernel vxlan -> vxswitch (IPv6 underlay)". */
  what: string;
  /** Gathered only on failure (switch counters, FDB). */
  context?: () => Promise<string>;
  /** Segments lost where the peer counts them itself (e.g. OVS's socket drops): not held against the path. */
  accountedLosses?: number;
}

/** One line for the test log: goodput, retransmits, segments. */
export function describeRun(result: IperfResult, what: string, accountedLosses = 0): string {
  const segments = segmentsSent(result);
  const accounted = accountedLosses > 0 ? `, ${accountedLosses} lost where the peer counts them` : "";
  return `${what}: ${(result.bitsPerSecond / 1e6).toFixed(0)} Mbit/s, ${result.retransmits} retransmits of ${segments} segments (${((100 * result.retransmits) / segments).toFixed(2)}%)${accounted}`;
}

/** Asserts goodput >= floor and unexplained retransmits <= ceiling, printing the run either way. */
export async function expectHealthyTcp(result: IperfResult, check: TcpCheck): Promise<void> {
  const { floor, what, context } = check;
  const line = describeRun(result, what, check.accountedLosses);
  console.log(line);
  const segments = segmentsSent(result);
  const unexplained = Math.max(0, result.retransmits - (check.accountedLosses ?? 0));
  const ceiling = Math.ceil(floor.maxRetransmitFraction * segments);
  const failing = result.bitsPerSecond < floor.minBitsPerSecond || unexplained > ceiling;
  const why = await because(failing, async () => `${line}\n${context === undefined ? "" : await context()}`);
  expect(result.bitsPerSecond, why ?? line).toBeGreaterThanOrEqual(floor.minBitsPerSecond);
  expect(unexplained, why ?? line).toBeLessThanOrEqual(ceiling);
}
