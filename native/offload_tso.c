// TAP offloads in software, egress: split TSO/USO super-frames read from a TAP into encapsulated
// segments with their headers and checksums fixed, grouped into UDP_SEGMENT messages (tsoSplit).
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "addon.h"
#include "args.h"
#include "errors.h"
#include "offload.h"
#include "offload_frame.h"

struct gso_frame {
  uint32_t l3, l4, hdrs, payload, mss;
  bool v6, tcp;
};

// Walks IPv6 extension headers from the fixed header at l3 to the transport header, which must
// carry proto: hop-by-hop, destination options and routing headers with no segments left (the
// destination field is then final, so the pseudo-header is right). Fragments, AH, ESP and
// anything unknown cannot be split. Returns the transport header's offset, or 0.
static uint32_t ipv6_transport(const uint8_t *f, uint32_t len, uint32_t l3, uint8_t proto) {
  uint8_t nh = f[l3 + 6];
  uint32_t off = l3 + 40;
  for (int i = 0; i <= VXS_IPV6_MAX_EXT; i++) {
    if (nh == proto) return off;
    if (nh != IPV6_HOP_BY_HOP && nh != IPV6_ROUTING && nh != IPV6_DEST_OPTS) return 0;
    if (nh == IPV6_HOP_BY_HOP && off != l3 + 40) return 0;  // only allowed first (RFC 8200)
    if ((uint64_t)off + 8 > len) return 0;
    if (nh == IPV6_ROUTING && f[off + 3] != 0) return 0;
    nh = f[off];
    off += ((uint32_t)f[off + 1] + 1) * 8;
  }
  return 0;
}

// Locates the headers of a GSO super-frame from its virtio-net header; false if inconsistent.
static bool parse_gso(const uint8_t *vh, const uint8_t *f, uint32_t len, struct gso_frame *g) {
  uint8_t type = vh[1] & (uint8_t)~GSO_ECN;
  uint16_t et;
  int l3 = vxs_find_l3(f, len, &et);
  g->mss = vxs_get16le(vh + 4);
  if (l3 < 0 || g->mss == 0) return false;
  g->v6 = et == ETH_P_IPV6;
  if (et != ETH_P_IPV4 && !g->v6) return false;
  if ((type == GSO_TCPV4 && g->v6) || (type == GSO_TCPV6 && !g->v6)) return false;
  if (type != GSO_TCPV4 && type != GSO_TCPV6 && type != GSO_UDP_L4) return false;
  g->tcp = type != GSO_UDP_L4;
  if (g->tcp && g->mss < VXS_TSO_MIN_MSS) return false;
  uint8_t proto = g->tcp ? PROTO_TCP : PROTO_UDP;
  bool partial = vh[0] & VNET_F_NEEDS_CSUM;
  uint32_t csum_start = vxs_get16le(vh + 6);
  uint32_t l4;
  g->l3 = (uint32_t)l3;
  if (!g->v6) {
    if (g->l3 + 20 > len || (f[l3] >> 4) != 4) return false;
    uint32_t ihl = (uint32_t)(f[l3] & 15) * 4;
    if (ihl < 20 || g->l3 + ihl > len || f[l3 + 9] != proto) return false;
    if ((vxs_get16(f + l3 + 6) & 0x3fff) != 0) return false;  // a fragment is no super-frame
    l4 = g->l3 + ihl;
  } else {
    if (g->l3 + 40 > len || (f[l3] >> 4) != 6) return false;
    l4 = ipv6_transport(f, len, g->l3, proto);
    if (l4 == 0) return false;
  }
  if (partial && csum_start != l4) return false;
  uint32_t l4hl = 8;
  if (g->tcp) {
    if ((uint64_t)l4 + 20 > len) return false;
    l4hl = (uint32_t)(f[l4 + 12] >> 4) * 4;
    if (l4hl < 20) return false;
  }
  if ((uint64_t)l4 + l4hl > len) return false;
  g->l4 = l4;
  g->hdrs = l4 + l4hl;
  g->payload = len - g->hdrs;
  if (!g->tcp && g->payload > (uint32_t)VXS_USO_MAX_SEGS * g->mss) return false;
  // Each segment's IP length field must hold its headers and payload.
  if (g->hdrs - g->l3 + g->mss > 65535 + (g->v6 ? 40u : 0u)) return false;
  return true;
}

// Writes segment i's headers (copied from the super-frame at h) for a payload of seglen bytes
// already in place behind them (payload_sum: its unfolded sum, taken while it was copied), and
// computes its checksums in full.
static void fix_segment(uint8_t *h, const struct gso_frame *g, uint32_t i, uint32_t nseg,
                        uint32_t seglen, uint32_t seq0, uint16_t id0, uint64_t payload_sum) {
  uint32_t l4len = g->hdrs - g->l4 + seglen;
  uint32_t l4hl = g->hdrs - g->l4;
  uint8_t *ip = h + g->l3, *th = h + g->l4;
  if (!g->v6) {
    uint32_t ihl = (uint32_t)(ip[0] & 15) * 4;
    vxs_put16(ip + 2, g->hdrs - g->l3 + seglen);
    vxs_put16(ip + 4, (uint16_t)(id0 + i));
    ip[10] = ip[11] = 0;
    vxs_csum_store(ip + 10, (uint16_t)~vxs_csum_fold(vxs_csum_add(ip, ihl, 0)));
  } else {
    vxs_put16(ip + 4, g->hdrs - g->l3 - 40 + seglen);
  }
  uint64_t sum = vxs_pseudo_sum(ip, g->v6, g->tcp ? PROTO_TCP : PROTO_UDP, l4len);
  if (g->tcp) {
    vxs_put32(th + 4, seq0 + i * g->mss);
    // Like tcp_gso_segment: CWR stays on the first segment, FIN and PSH on the last.
    if (i + 1 < nseg) th[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
    if (i > 0) th[13] &= (uint8_t)~TCP_CWR;
    th[16] = th[17] = 0;
    uint16_t c = (uint16_t)~vxs_csum_fold(vxs_csum_add(th, l4hl, sum + payload_sum));
    vxs_csum_store(th + 16, c);
  } else {
    vxs_put16(th + 4, l4len);
    th[6] = th[7] = 0;
    uint16_t c = (uint16_t)~vxs_csum_fold(vxs_csum_add(th, l4hl, sum + payload_sum));
    vxs_csum_store(th + 6, c == 0 ? 0xffff : c);
  }
}

int vxs_tso_split(const uint8_t *vh, const uint8_t *f, uint32_t len, uint8_t *dst, uint32_t dst_off,
                  uint32_t dst_end, const uint8_t *encap, uint32_t elen, uint32_t trailer, uint32_t max_msg,
                  uint32_t *out, size_t nout) {
  struct gso_frame g;
  if (!parse_gso(vh, f, len, &g)) return -1;
  // Every segment gets the same trailer (an AEAD tag), so all but the last stay equal in size.
  uint32_t full = elen + g.hdrs + g.mss + trailer;
  uint32_t per = max_msg / full;
  if (per > VXS_UDP_GSO_MAX_SEGS) per = VXS_UDP_GSO_MAX_SEGS;
  if (per == 0) return -1;
  uint32_t nseg = g.payload == 0 ? 1 : (g.payload + g.mss - 1) / g.mss;
  uint64_t need = (uint64_t)nseg * (elen + g.hdrs + trailer) + g.payload;
  if (need > dst_end - dst_off) return 0;
  uint32_t nmsg = (nseg + per - 1) / per;
  if ((size_t)nmsg * 3 > nout) return -2;

  const uint32_t seq0 = g.tcp ? vxs_get32(f + g.l4 + 4) : 0;
  const uint16_t id0 = g.v6 ? 0 : vxs_get16(f + g.l3 + 4);
  const uint8_t *payload = f + g.hdrs;
  uint32_t pos = dst_off, m = 0;
  for (uint32_t i = 0; i < nseg; i++) {
    if (i % per == 0) out[3 * m] = pos;
    uint32_t done = i * g.mss;
    uint32_t seglen = g.payload - done < g.mss ? g.payload - done : g.mss;
    uint8_t *s = dst + pos;
    memcpy(s, encap, elen);
    memcpy(s + elen, f, g.hdrs);
    // The transport header is a multiple of 4 bytes long: the payload's sum adds on its own.
    uint64_t psum = vxs_csum_copy(s + elen + g.hdrs, payload + done, seglen, 0);
    fix_segment(s + elen, &g, i, nseg, seglen, seq0, id0, psum);
    pos += elen + g.hdrs + seglen + trailer;
    if (i % per == per - 1 || i + 1 == nseg) {
      out[3 * m + 1] = pos - out[3 * m];
      out[3 * m + 2] = i % per == 0 ? 0 : full;
      m++;
    }
  }
  return (int)m;
}

// Whether byte ranges [a, a + alen) and [b, b + blen) share a byte: two views of one
// ArrayBuffer have different base pointers but may cover the same memory.
static bool ranges_overlap(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
  return alen > 0 && blen > 0 && a0 < b0 + blen && b0 < a0 + alen;
}

// tsoSplit(src, frameOff, frameLen, dst, dstOff, dstEnd, encap, encapLen, maxMessage, out[, trailer])
//   -> messages (> 0), 0 when dst[dstOff, dstEnd) is too small, -1 for a malformed super-frame,
//   -2 when `out` holds too few records.
// The virtio-net header lies in the 10 bytes before frameOff. Segment k is written as
// [encap template][headers fixed for k][payload k]; segments go back to back, grouped into
// messages of at most 64 segments and maxMessage bytes; `trailer` free bytes follow each segment
// (room for an AEAD tag, counted in its length). out[3m..3m+2] = offset, length and
// segment size of message m (segment size 0: a single segment), ready for UDP_SEGMENT.
static napi_value tso_split(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  uint8_t *src, *dst, *encap;
  size_t src_len, dst_len, encap_len_buf, nout;
  uint32_t off, len, dst_off, dst_end, elen, max_msg, *out, trailer = 0;
  // One fetch of all eleven arguments: this runs once per super-frame.
  if (!vxs_args_upto(env, info, 10, 11, argv) || !vxs_arg_optional_u32(env, argv[10], "trailer", &trailer))
    return NULL;
  if (trailer > VXS_ENCAP_MAX) {
    vxs_throw_range(env, "trailer %u must be at most %d", trailer, VXS_ENCAP_MAX);
    return NULL;
  }
  if (!vxs_arg_bytes(env, argv[0], "src", &src, &src_len) ||
      !vxs_arg_u32(env, argv[1], "frameOff", &off) || !vxs_arg_u32(env, argv[2], "frameLen", &len) ||
      !vxs_arg_bytes(env, argv[3], "dst", &dst, &dst_len) ||
      !vxs_arg_u32(env, argv[4], "dstOff", &dst_off) ||
      !vxs_arg_u32(env, argv[5], "dstEnd", &dst_end) ||
      !vxs_arg_bytes(env, argv[6], "encap", &encap, &encap_len_buf) ||
      !vxs_arg_u32(env, argv[7], "encapLen", &elen) ||
      !vxs_arg_u32(env, argv[8], "maxMessage", &max_msg) ||
      !vxs_arg_u32s(env, argv[9], "out", &out, &nout))
    return NULL;
  if (off < VXS_VNET_HDR_LEN || (uint64_t)off + len > src_len) {
    vxs_throw_range(env, "frame (offset %u, length %u) with its virtio-net header lies outside the %zu-byte slab",
                    off, len, src_len);
    return NULL;
  }
  if (dst_off > dst_end || dst_end > dst_len) {
    vxs_throw_range(env, "dstOff %u .. dstEnd %u lies outside the %zu-byte destination", dst_off, dst_end,
                    dst_len);
    return NULL;
  }
  if (elen > VXS_ENCAP_MAX || elen > encap_len_buf) {
    vxs_throw_range(env, "encapLen %u must be at most %d and fit the %zu-byte template", elen, VXS_ENCAP_MAX,
                    encap_len_buf);
    return NULL;
  }
  const uint8_t *vh = src + off - VXS_VNET_HDR_LEN;
  if (ranges_overlap(vh, (size_t)len + VXS_VNET_HDR_LEN, dst + dst_off, dst_end - dst_off) ||
      ranges_overlap(encap, elen, dst + dst_off, dst_end - dst_off)) {
    vxs_throw_range(env, "destination (%u bytes at %u) overlaps the frame or the encap template",
                    dst_end - dst_off, dst_off);
    return NULL;
  }
  return vxs_i32(env, vxs_tso_split(vh, vh + VXS_VNET_HDR_LEN, len, dst, dst_off, dst_end, encap, elen, trailer,
                                     max_msg, out, nout));
}

bool vxs_register_tso(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "tsoSplit", tso_split);
}
