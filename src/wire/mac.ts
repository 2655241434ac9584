// MAC addresses as 48-bit numbers (the FDB key), strings and bytes; read from a Buffer without allocating.
import { get16, get32, put16, put32 } from "./bytes.js";

export const MAC_LEN = 6;
export const MAC_BROADCAST = 0xffff_ffff_ffff;
const TWO_32 = 0x1_0000_0000;

/** The MAC at buf[off, off + 6) as a number in [0, 2^48); no allocation. */
export function readMac(buf: Buffer, off: number): number {
  return get16(buf, off) * TWO_32 + get32(buf, off + 2);
}

/** Writes a 48-bit MAC number at buf[off, off + 6). */
export function writeMac(buf: Buffer, off: number, mac: number): void {
  // >>> 0 is ToUint32, i.e. modulo 2^32: exact for integers below 2^53.
  put16(buf, off, (mac / TWO_32) >>> 0);
  put32(buf, off + 2, mac >>> 0);
}

/** Group bit: the low bit of the first byte (broadcast is a multicast address too). */
export function isMulticastMac(mac: number): boolean {
  return (((mac / TWO_32) >>> 8) & 1) === 1;
}

export function isBroadcastMac(mac: number): boolean {
  return mac === MAC_BROADCAST;
}

/** Locally administered bit: 0x02 in the first byte. */
export function isLocalMac(mac: number): boolean {
  return (((mac / TWO_32) >>> 8) & 2) === 2;
}

/** A source address a switch may learn: neither group nor all-zero. */
export function isLearnableMac(mac: number): boolean {
  return mac !== 0 && !isMulticastMac(mac);
}

/** Group bit of the MAC at buf[off], without reading the rest. */
export function isMulticastMacAt(buf: Buffer, off: number): boolean {
  return (buf[off] & 1) === 1;
}

export function isBroadcastMacAt(buf: Buffer, off: number): boolean {
  return get16(buf, off) === 0xffff && get32(buf, off + 2) === 0xffff_ffff;
}

const MAC_TEXT = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i;

/** Parses "52:54:00:12:34:56" (or with '-'); returns -1 when the text is not a MAC. */
export function tryParseMac(text: string): number {
  const m = MAC_TEXT.exec(text.trim());
  if (m === null) return -1;
  let mac = 0;
  for (let i = 1; i <= 6; i++) mac = mac * 256 + parseInt(m[i], 16);
  return mac;
}

/** Parses a MAC address or throws an error that says what was expected. */
export function parseMac(text: string): number {
  const mac = tryParseMac(text);
  if (mac < 0) throw new Error(`invalid MAC address "${text}": expected six hex bytes like 52:54:00:12:34:56`);
  return mac;
}

/** Lower-case, colon-separated, as iproute2 prints it. */
export function formatMac(mac: number): string {
  const hi = (mac / TWO_32) >>> 0;
  const lo = mac >>> 0;
  const bytes = [hi >>> 8, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export function macToBytes(mac: number): Buffer {
  const out = Buffer.alloc(MAC_LEN);
  writeMac(out, 0, mac);
  return out;
}

export function macFromBytes(bytes: Uint8Array, off = 0): number {
  if (off < 0 || off + MAC_LEN > bytes.length) throw new RangeError(`a MAC needs 6 bytes at offset ${off}`);
  let mac = 0;
  for (let i = 0; i < MAC_LEN; i++) mac = mac * 256 + bytes[off + i];
  return mac;
}

/** The names src/control uses: parse (throwing) and print. */
export const macFromString = parseMac;
export const macToString = formatMac;
