// IP addresses as 16 bytes (IPv6, or IPv4-mapped ::ffff:a.b.c.d) <-> text, and peer keys.
import { formatIpv6 } from "../wire/ipv6.js";
import { isIPv4, isIPv6 } from "node:net";

/** Bytes per address at the JS/C boundary. */
export const ADDR_LEN = 16;

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] as const;

/** True when bytes[offset..offset+16) is an IPv4-mapped address (bytes 10..11 = 0xff). */
export function isV4Mapped(bytes: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 12; i++) {
    if (bytes[offset + i] !== MAPPED_PREFIX[i]) return false;
  }
  return true;
}

export function addressFamily(bytes: Uint8Array, offset = 0): 4 | 6 {
  return isV4Mapped(bytes, offset) ? 4 : 6;
}

/** The IPv4 address of a mapped address as a uint32 (bytes 12..15, network order): a peer key. */
export function v4Key(bytes: Uint8Array, offset = 0): number {
  return (
    ((bytes[offset + 12] << 24) | (bytes[offset + 13] << 16) | (bytes[offset + 14] << 8) |
      bytes[offset + 15]) >>> 0
  );
}

/**
 * A 32-bit key for any address, without allocating: the IPv4 key for mapped addresses, an
 * FNV-1a hash for IPv6. IPv6 keys can collide, so compare with `sameAddress` after a lookup.
 */
export function addressHash(bytes: Uint8Array, offset = 0): number {
  if (isV4Mapped(bytes, offset)) return v4Key(bytes, offset);
  let h = 0x811c9dc5;
  for (let i = 0; i < ADDR_LEN; i++) {
    h = Math.imul(h ^ bytes[offset + i], 0x01000193);
  }
  return h >>> 0;
}

export function sameAddress(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number): boolean {
  for (let i = 0; i < ADDR_LEN; i++) {
    if (a[aOffset + i] !== b[bOffset + i]) return false;
  }
  return true;
}

/** 224.0.0.0/4 or ff00::/8. */
export function isMulticast(bytes: Uint8Array, offset = 0): boolean {
  if (isV4Mapped(bytes, offset)) return (bytes[offset + 12] & 0xf0) === 0xe0;
  return bytes[offset] === 0xff;
}

/** 0.0.0.0 (mapped) or ::. */
export function isUnspecified(bytes: Uint8Array, offset = 0): boolean {
  const from = isV4Mapped(bytes, offset) ? 12 : 0;
  for (let i = from; i < ADDR_LEN; i++) {
    if (bytes[offset + i] !== 0) return false;
  }
  return true;
}

/** The wildcard address of a family: 0.0.0.0 as mapped, or ::. */
export function anyAddress(family: 4 | 6): Uint8Array {
  return parseAddress(family === 4 ? "0.0.0.0" : "::");
}

function writeV4(text: string, out: Uint8Array, offset: number): void {
  const parts = text.split(".");
  for (let i = 0; i < 4; i++) out[offset + i] = Number(parts[i]);
}

/** Writes the 16-byte form of an IPv4 or IPv6 address into out at offset. */
export function writeAddress(text: string, out: Uint8Array, offset = 0): void {
  if (isIPv4(text)) {
    for (let i = 0; i < 12; i++) out[offset + i] = MAPPED_PREFIX[i];
    writeV4(text, out, offset + 12);
    return;
  }
  if (text.includes("%")) {
    throw new RangeError(`"${text}" is not an IPv4 or IPv6 address (zone ids are not supported)`);
  }
  if (!isIPv6(text)) throw new RangeError(`"${text}" is not an IPv4 or IPv6 address`);
  const groups = new Array<number>(8).fill(0);
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const toGroups = (part: string): number[] => {
    if (part === "") return [];
    const out: number[] = [];
    for (const g of part.split(":")) {
      if (g.includes(".")) {
        const v4 = new Uint8Array(4);
        writeV4(g, v4, 0);
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const h = toGroups(head);
  const t = tail === undefined ? [] : toGroups(tail);
  h.forEach((g, i) => (groups[i] = g));
  t.forEach((g, i) => (groups[8 - t.length + i] = g));
  for (let i = 0; i < 8; i++) {
    out[offset + 2 * i] = groups[i] >> 8;
    out[offset + 2 * i + 1] = groups[i] & 0xff;
  }
}

/** The 16-byte form of an IPv4 (as IPv4-mapped) or IPv6 address. */
export function parseAddress(text: string): Uint8Array {
  const out = new Uint8Array(ADDR_LEN);
  writeAddress(text, out, 0);
  return out;
}

/** Text of a 16-byte address: dotted quad for IPv4-mapped, RFC 5952 form for IPv6. */
export function formatAddress(bytes: Uint8Array, offset = 0): string {
  if (isV4Mapped(bytes, offset)) {
    return `${bytes[offset + 12]}.${bytes[offset + 13]}.${bytes[offset + 14]}.${bytes[offset + 15]}`;
  }
  return formatIpv6(bytes, offset);
}

/** "198.18.0.1:4789" or "[2001:db8::1]:4789". */
export function formatEndpoint(bytes: Uint8Array, offset: number, port: number): string {
  const text = formatAddress(bytes, offset);
  return isV4Mapped(bytes, offset) ? `${text}:${port}` : `[${text}]:${port}`;
}
