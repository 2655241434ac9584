// What a switch stores in etcd: key layout under the prefix and the JSON values, checked on the way in.
import { isIP } from "node:net";

/** Default key prefix; every switch of one overlay shares it. */
export const DEFAULT_PREFIX = "/vxswitch/";

/** A switch as it registers itself: where to reach it and which segments (VNIs / GRE keys) it serves. */
export interface HostRecord {
  address: string;
  /** Destination UDP port (VXLAN); 0 for GRE. */
  port: number;
  encap: "vxlan" | "gre";
  /** VNIs (VXLAN) or GRE keys, ascending. */
  vnis: number[];
}

/** One parsed key under the prefix. */
export type MembershipKey =
  | { kind: "host"; address: string }
  | { kind: "macs"; address: string; vni: number };

/** "/vxswitch/" for "/vxswitch", so keys never run into the prefix. */
export function normalizePrefix(prefix: string): string {
  return prefix.endsWith("/") ? prefix : `${prefix}/`;
}

/** PREFIX hosts/ADDRESS: the key names the address, so a host can only claim the address it registers. */
export function hostKey(prefix: string, address: string): string {
  return `${prefix}hosts/${address}`;
}

/** PREFIX macs/ADDRESS/VNI: the MACs one host has learned on its local ports in one segment. */
export function macsKey(prefix: string, address: string, vni: number): string {
  return `${prefix}macs/${address}/${vni}`;
}

const SEGMENT_ID_MAX = 0xffffffff;

function segmentId(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= SEGMENT_ID_MAX ? n : undefined;
}

/** The meaning of a key, or undefined for keys of other tools or versions (ignored, not an error). */
export function parseKey(prefix: string, key: string): MembershipKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const parts = key.slice(prefix.length).split("/");
  if (parts[0] === "hosts" && parts.length === 2 && isIP(parts[1]!) !== 0) return { kind: "host", address: parts[1]! };
  if (parts[0] === "macs" && parts.length === 3 && isIP(parts[1]!) !== 0) {
    const vni = segmentId(parts[2]!);
    if (vni !== undefined) return { kind: "macs", address: parts[1]!, vni };
  }
  return undefined;
}

export function encodeHost(record: HostRecord): string {
  return JSON.stringify(record);
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A host value, checked against its key: a record whose address is not the one in its key is
 * refused (a host may only speak for itself). Returns the reason when it is refused.
 */
export function decodeHost(keyAddress: string, text: string): HostRecord | string {
  const v = jsonOf(text);
  if (!isRecord(v)) return "not a JSON object";
  if (v.address !== keyAddress) return `address ${String(v.address)} differs from the key's ${keyAddress}`;
  if (v.encap !== "vxlan" && v.encap !== "gre") return `unknown encap ${String(v.encap)}`;
  if (typeof v.port !== "number" || !Number.isInteger(v.port) || v.port < 0 || v.port > 65535) return "port is not 0..65535";
  if (!Array.isArray(v.vnis) || !v.vnis.every((n) => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= SEGMENT_ID_MAX)) return "vnis is not a list of segment ids";
  return { address: keyAddress, port: v.port, encap: v.encap, vnis: [...new Set(v.vnis as number[])].sort((a, b) => a - b) };
}

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function encodeMacs(macs: readonly string[]): string {
  return JSON.stringify({ macs });
}

/** A MAC list value: lower-case unicast MACs, at most max of them (the rest ignored); the reason when unusable. */
export function decodeMacs(text: string, max: number): string[] | string {
  const v = jsonOf(text);
  if (!isRecord(v) || !Array.isArray(v.macs)) return "not a { macs: [...] } object";
  const out: string[] = [];
  for (const m of v.macs) {
    if (out.length >= max) break;
    if (typeof m !== "string") continue;
    const mac = m.toLowerCase();
    // Group addresses are flooded, never looked up: such an entry would mean nothing.
    if (MAC_TEXT.test(mac) && (parseInt(mac.slice(0, 2), 16) & 1) === 0) out.push(mac);
  }
  return out;
}
