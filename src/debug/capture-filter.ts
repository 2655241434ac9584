// Which frames a capture or trace keeps: by segment (VNI / GRE key), peer address and MAC (source or destination).
import { isIP } from "node:net";
import { parseAddress, sameAddress } from "../io/address.js";
import { readMac, parseMac } from "../wire/mac.js";
import { VNI_MAX } from "../wire/vxlan.js";

export interface CaptureFilter {
  vni?: number;
  /** 16-byte underlay address (IPv4-mapped for IPv4). */
  peer?: Uint8Array;
  mac?: number;
}

/** The filter a control request names ({vni, peer, mac}); throws a message a person can act on. */
export function parseCaptureFilter(req: { vni?: unknown; peer?: unknown; mac?: unknown }): CaptureFilter {
  const filter: CaptureFilter = {};
  if (req.vni !== undefined) {
    if (typeof req.vni !== "number" || !Number.isInteger(req.vni) || req.vni < 0 || req.vni > 0xffff_ffff) {
      throw new Error(`vni must be a whole number from 0 to ${0xffff_ffff} (VXLAN: at most ${VNI_MAX})`);
    }
    filter.vni = req.vni;
  }
  if (req.peer !== undefined) {
    if (typeof req.peer !== "string" || isIP(req.peer) === 0) throw new Error(`peer must be an IPv4 or IPv6 address, got ${JSON.stringify(req.peer)}`);
    filter.peer = parseAddress(req.peer);
  }
  if (req.mac !== undefined) {
    if (typeof req.mac !== "string") throw new Error("mac must be a string like 52:54:00:12:34:56");
    filter.mac = parseMac(req.mac);
  }
  return filter;
}

/** The segment and MAC parts: the frame at buf[off, off+len) of segment vni (-1: not known). */
export function matchesFrame(filter: CaptureFilter, vni: number, buf: Buffer, off: number, len: number): boolean {
  if (filter.vni !== undefined && filter.vni !== vni) return false;
  if (filter.mac !== undefined) {
    if (len < 12) return false;
    if (readMac(buf, off) !== filter.mac && readMac(buf, off + 6) !== filter.mac) return false;
  }
  return true;
}

/** The peer part: the underlay address at addrs[addrOff, +16) (undefined: a frame that is not tied to one peer). */
export function matchesPeer(filter: CaptureFilter, addrs: Uint8Array | undefined, addrOff = 0): boolean {
  if (filter.peer === undefined) return true;
  return addrs !== undefined && sameAddress(filter.peer, 0, addrs, addrOff);
}
