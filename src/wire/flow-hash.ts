// Hash of an inner frame's flow (MACs, IP addresses, TCP/UDP ports) and the outer UDP source port made from it.
import { get32 } from "./bytes.js";
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, isVlanTpid } from "./ethernet.js";
import { IPPROTO_TCP, IPPROTO_UDP } from "./ip.js";

/** The default source port range [min, max): the kernel's ip_local_port_range, 32768..60999. */
export const FLOW_PORT_MIN = 32768;
export const FLOW_PORT_MAX = 61000;

const SEED = 0x9747b28c;

// MurmurHash3's 32-bit block mix and finaliser: cheap (Math.imul), no allocation, good spread.
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * An unsigned 32-bit hash of the frame at buf[off, off + len): both MACs and the ethertype
 * (past one VLAN tag); for IPv4/IPv6 the addresses and protocol; for TCP/UDP the ports, except
 * in IPv4 fragments (later fragments have none, and a flow's fragments must stay together).
 * Every packet of a flow hashes the same, so one flow keeps one outer port and its order.
 */
export function flowHash(buf: Buffer, off: number, len: number): number {
  const end = off + len;
  if (len < 14 || end > buf.length) return finish(mix(SEED, len));
  let h = mix(SEED, get32(buf, off));
  h = mix(h, get32(buf, off + 4));
  h = mix(h, get32(buf, off + 8));
  let type = (buf[off + 12] << 8) | buf[off + 13];
  let l3 = off + 14;
  if (isVlanTpid(type) && len >= 18) {
    type = (buf[off + 16] << 8) | buf[off + 17];
    l3 = off + 18;
  }
  h = mix(h, type);
  if (type === ETHERTYPE_IPV4 && l3 + 20 <= end && buf[l3] >>> 4 === 4) {
    const proto = buf[l3 + 9];
    h = mix(h, get32(buf, l3 + 12));
    h = mix(h, get32(buf, l3 + 16));
    h = mix(h, proto);
    const ihl = (buf[l3] & 0x0f) << 2;
    const fragment = (((buf[l3 + 6] << 8) | buf[l3 + 7]) & 0x3fff) !== 0; // MF or an offset
    if ((proto === IPPROTO_TCP || proto === IPPROTO_UDP) && !fragment && ihl >= 20 && l3 + ihl + 4 <= end) {
      h = mix(h, get32(buf, l3 + ihl));
    }
  } else if (type === ETHERTYPE_IPV6 && l3 + 40 <= end && buf[l3] >>> 4 === 6) {
    for (let i = 8; i < 40; i += 4) h = mix(h, get32(buf, l3 + i));
    const next = buf[l3 + 6];
    h = mix(h, next);
    // Ports only right after the fixed header; extension headers are not walked.
    if ((next === IPPROTO_TCP || next === IPPROTO_UDP) && l3 + 44 <= end) h = mix(h, get32(buf, l3 + 40));
  }
  return finish(h);
}

/**
 * Maps a hash into [min, max) the way the kernel's udp_flow_src_port does: the hash folded
 * with its low half (only the high bits pick the port), scaled rather than taken modulo.
 */
export function flowPortFromHash(hash: number, min = FLOW_PORT_MIN, max = FLOW_PORT_MAX): number {
  const h = (hash ^ (hash << 16)) >>> 0;
  return min + Math.floor((h * (max - min)) / 0x1_0000_0000);
}

/** The outer UDP source port for the inner frame at buf[off, off + len), in [min, max). */
export function flowSourcePort(buf: Buffer, off: number, len: number, min = FLOW_PORT_MIN, max = FLOW_PORT_MAX): number {
  return flowPortFromHash(flowHash(buf, off, len), min, max);
}
