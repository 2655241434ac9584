// MAC addresses as 48-bit numbers (the FDB key), strings and bytes; read from a Buffer without allocating.
import { get16, get32 } from "./bytes.js";

export const MAC_LEN = 6;
export const MAC_BROADCAST = 0xffff_ffff_ffff;
const TWO_32 = 0x1_0000_0000;

/** The MAC at buf[off, off + 6) as a number in [0, 2^48); no allocation. */
export function readMac(buf: Buffer, off: number): number {
  return get16(buf, off) * TWO_32 + get32(buf, off + 2);
}

/** Group bit: the low bit of the first byte (broadcast is a multicast address too). */
export function isMulticastMac(mac: number): boolean {
  return (((mac / TWO_32) >>> 8) & 1) === 1;
}

export function isBroadcastMac(mac: number): boolean {
  return mac === MAC_BROADCAST;
}

const MAC_TEXT = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i;

/** Parses "52:54:00:12:34:56" (or with '-'), or throws an error that says what was expected. */
export function parseMac(text: string): number {
  const m = MAC_TEXT.exec(text.trim());
  if (m === null) throw new Error(`invalid MAC address "${text}": expected six hex bytes like 52:54:00:12:34:56`);
  let mac = 0;
  for (let i = 1; i <= 6; i++) mac = mac * 256 + parseInt(m[i], 16);
  return mac;
}

/** Lower-case, colon-separated, as iproute2 prints it. */
export function formatMac(mac: number): string {
  const hi = (mac / TWO_32) >>> 0;
  const lo = mac >>> 0;
  const bytes = [hi >>> 8, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export function macFromBytes(bytes: Uint8Array, off = 0): number {
  if (off < 0 || off + MAC_LEN > bytes.length) throw new RangeError(`a MAC needs 6 bytes at offset ${off}`);
  let mac = 0;
  for (let i = 0; i < MAC_LEN; i++) mac = mac * 256 + bytes[off + i];
  return mac;
}
