// TAP offloads in software: finish partial checksums, split TSO/USO super-frames into encapsulated
// segments (egress), coalesce same-flow TCP segments into GSO super-frames (ingress, like tcp_gro).
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "addon.h"
#include "args.h"
#include "counters.h"
#include "csum.h"
#include "errors.h"
#include "offload.h"

#define VNET_HDR_LEN 10
#define VNET_F_NEEDS_CSUM 1
#define GSO_NONE 0
#define GSO_TCPV4 1
#define GSO_TCPV6 4
#define GSO_UDP_L4 5
#define GSO_ECN 0x80

#define ETH_HLEN 14
#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_URG 0x20
#define TCP_CWR 0x80

// Segments one UDP_SEGMENT send may carry (UDP_MAX_SEGMENTS on older kernels; newer allow 128).
#define UDP_GSO_MAX_SEGS 64
// Largest encapsulation header template copied in front of each segment (GRE with C, K, S).
#define ENCAP_MAX 32
// Largest coalesced frame: Ethernet header + 65535 bytes of IP (the IPv4 total length limit).
#define GRO_MAX_FRAME (ETH_HLEN + 65535)
// Free bytes kept in front of each output vnet header, so a VLAN tag can be inserted in place.
#define GRO_PAD 4
#define GRO_FLOWS 8
#define GRO_RECORD 6
// groCoalesce's encapLen for GRE (TEB): the header length is read per packet from its flags.
#define GRO_ENCAP_GRE 255
#define GRE_F_C 0x80
#define GRE_F_R 0x40
#define GRE_F_K 0x20
#define GRE_F_S 0x10

static uint32_t align8(uint32_t v) { return (v + 7u) & ~7u; }

// Network header offset after the Ethernet header and up to two VLAN tags; -1 if truncated.
static int find_l3(const uint8_t *f, uint32_t len, uint16_t *ethertype) {
  uint32_t off = 12;
  for (int tags = 0; tags <= 2; tags++) {
    if (off + 2 > len) return -1;
    uint16_t t = vxs_get16(f + off);
    if (t == ETH_P_8021Q || t == ETH_P_8021AD) {
      off += 4;
      continue;
    }
    *ethertype = t;
    return (int)off + 2;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Partial checksums arriving from a tunnel (CHECKSUM_PARTIAL left unfinished by a same-host sender)

#define IPV6_HOPOPTS 0
#define IPV6_ROUTING 43
#define IPV6_DSTOPTS 60

// Transport header offset and protocol of an unfragmented IPv4/IPv6 packet at f[l3, end), IPv6
// extension headers (hop-by-hop, routing, destination options) walked; 0 if there is none.
static uint32_t find_l4(const uint8_t *f, uint32_t l3, uint32_t end, uint16_t ethertype, uint8_t *proto) {
  if (ethertype == ETH_P_IPV4) {
    if (l3 + 20 > end || (f[l3] >> 4) != 4) return 0;
    uint32_t ihl = (uint32_t)(f[l3] & 0x0f) * 4;
    if (ihl < 20 || l3 + ihl > end || (vxs_get16(f + l3 + 6) & 0x3fff) != 0) return 0;
    *proto = f[l3 + 9];
    return l3 + ihl;
  }
  if (ethertype != ETH_P_IPV6 || l3 + 40 > end || (f[l3] >> 4) != 6) return 0;
  uint8_t nh = f[l3 + 6];
  uint32_t off = l3 + 40;
  for (int hops = 0; hops < 8 && (nh == IPV6_HOPOPTS || nh == IPV6_ROUTING || nh == IPV6_DSTOPTS); hops++) {
    if (off + 8 > end) return 0;
    nh = f[off];
    off += ((uint32_t)f[off + 1] + 1) * 8;
  }
  *proto = nh;
  return off;
}

// If frame f[0, len) is TCP or UDP over IPv4/IPv6 whose checksum field holds just the folded
// pseudo-header sum (the CHECKSUM_PARTIAL convention), sets *start to the transport header and
// *field to the checksum's offset in it and returns true. Finishing such a frame over its bytes
// rewrites a complete checksum that happens to equal the pseudo-header sum with itself, so the
// test never spoils a frame that was already complete (docs/INTERNALS.md).
static bool l4_partial(const uint8_t *f, uint32_t len, uint32_t *start, uint32_t *field) {
  uint16_t et = 0;
  int l3 = find_l3(f, len, &et);
  if (l3 < 0) return false;
  uint32_t end;
  if (et == ETH_P_IPV4 && (uint32_t)l3 + 4 <= len) end = (uint32_t)l3 + vxs_get16(f + l3 + 2);
  else if (et == ETH_P_IPV6 && (uint32_t)l3 + 6 <= len) end = (uint32_t)l3 + 40 + vxs_get16(f + l3 + 4);
  else return false;
  if (end > len) return false;
  uint8_t proto = 0;
  uint32_t l4 = find_l4(f, (uint32_t)l3, end, et, &proto);
  uint32_t at = proto == PROTO_TCP ? 16 : proto == PROTO_UDP ? 6 : 0;
  if (l4 == 0 || at == 0 || l4 + at + 2 > end || l4 + (proto == PROTO_TCP ? 20u : 8u) > end) return false;
  uint16_t now;
  memcpy(&now, f + l4 + at, 2);
  if (now != vxs_csum_fold(vxs_pseudo_sum(f + l3, et == ETH_P_IPV6, proto, end - l4))) return false;
  *start = l4;
  *field = at;
  return true;
}

// Marks the virtio-net header vh of frame f for the kernel to finish its partial checksum.
static void vnet_needs_csum(uint8_t *vh, uint32_t start, uint32_t field) {
  vh[0] = VNET_F_NEEDS_CSUM;
  vxs_put16le(vh + 6, start);
  vxs_put16le(vh + 8, field);
}

// ---------------------------------------------------------------------------------------------
// Partial checksums (VIRTIO_NET_HDR_F_NEEDS_CSUM without GSO)

// Folds everything from csum_start to the end into the field at csum_start + csum_offset, which
// holds the pseudo-header sum, like the kernel's skb_checksum_help. False if the offsets are bad.
static bool finish_partial(uint8_t *f, uint32_t len, uint32_t start, uint32_t offset) {
  if ((uint64_t)start + offset + 2 > len) return false;
  uint16_t c = (uint16_t)~vxs_csum_fold(vxs_csum_add(f + start, len - start, 0));
  vxs_csum_store(f + start + offset, c == 0 ? 0xffff : c);
  return true;
}

enum vxs_vnet_finish vxs_vnet_finish(uint8_t *vh, uint32_t len) {
  if (len < VNET_HDR_LEN) return VXS_VNET_UNTOUCHED;
  if (!(vh[0] & VNET_F_NEEDS_CSUM) || (vh[1] & ~GSO_ECN) != GSO_NONE) return VXS_VNET_UNTOUCHED;
  if (!finish_partial(vh + VNET_HDR_LEN, len - VNET_HDR_LEN, vxs_get16le(vh + 6), vxs_get16le(vh + 8)))
    return VXS_VNET_BAD;
  vh[0] = 0;
  return VXS_VNET_FINISHED;
}

// vnetFinishBatch(slab, slotSize, headroom, lengths, count) -> frames dropped.
// Frame i lies at i * slotSize + headroom behind its virtio-net header. Non-GSO frames with
// NEEDS_CSUM get their checksum completed and the flag cleared; GSO frames are left alone. A
// frame whose checksum offsets lie outside it cannot be finished and must not leave half-done:
// its length is set to 0 (the caller skips it) and it is counted in the return value and in
// ioCounters().badChecksumOffsets.
static napi_value vnet_finish_batch(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  uint8_t *slab;
  size_t slab_len, nlengths;
  uint32_t slot, headroom, count, *lengths;
  if (!vxs_args(env, info, 5, argv) || !vxs_arg_bytes(env, argv[0], "slab", &slab, &slab_len) ||
      !vxs_arg_u32(env, argv[1], "slotSize", &slot) ||
      !vxs_arg_u32(env, argv[2], "headroom", &headroom) ||
      !vxs_arg_u32s(env, argv[3], "lengths", &lengths, &nlengths) ||
      !vxs_arg_u32(env, argv[4], "count", &count) ||
      !vxs_check_slots(env, slab_len, slot, headroom, count, nlengths))
    return NULL;
  uint32_t dropped = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (lengths[i] > slot - headroom) continue;  // never filled by readFrames: not ours to judge
    if (vxs_vnet_finish(slab + (size_t)i * slot + headroom, lengths[i]) == VXS_VNET_BAD) {
      lengths[i] = 0;
      dropped++;
    }
  }
  if (dropped > 0) vxs_count(VXS_BAD_CSUM_OFFSETS, dropped);
  return vxs_u32(env, dropped);
}

// ---------------------------------------------------------------------------------------------
// Egress: TSO / USO split

struct gso_frame {
  uint32_t l3, l4, hdrs, payload, mss;
  bool v6, tcp;
};

#define IPV6_HOP_BY_HOP 0
#define IPV6_ROUTING 43
#define IPV6_DEST_OPTS 60

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
  int l3 = find_l3(f, len, &et);
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
                  uint32_t dst_end, const uint8_t *encap, uint32_t elen, uint32_t max_msg, uint32_t *out,
                  size_t nout) {
  return vxs_tso_split_trailer(vh, f, len, dst, dst_off, dst_end, encap, elen, 0, max_msg, out, nout);
}

int vxs_tso_split_trailer(const uint8_t *vh, const uint8_t *f, uint32_t len, uint8_t *dst, uint32_t dst_off,
                          uint32_t dst_end, const uint8_t *encap, uint32_t elen, uint32_t trailer,
                          uint32_t max_msg, uint32_t *out, size_t nout) {
  struct gso_frame g;
  if (!parse_gso(vh, f, len, &g)) return -1;
  // Every segment gets the same trailer (an AEAD tag), so all but the last stay equal in size.
  uint32_t full = elen + g.hdrs + g.mss + trailer;
  uint32_t per = max_msg / full;
  if (per > UDP_GSO_MAX_SEGS) per = UDP_GSO_MAX_SEGS;
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
  napi_value argv[10];
  uint8_t *src, *dst, *encap;
  size_t src_len, dst_len, encap_len_buf, nout;
  uint32_t off, len, dst_off, dst_end, elen, max_msg, *out, trailer = 0;
  if (!vxs_arg_optional_u32(env, info, 10, "trailer", &trailer)) return NULL;
  if (trailer > ENCAP_MAX) {
    vxs_throw_range(env, "trailer %u must be at most %d", trailer, ENCAP_MAX);
    return NULL;
  }
  if (!vxs_args(env, info, 10, argv) || !vxs_arg_bytes(env, argv[0], "src", &src, &src_len) ||
      !vxs_arg_u32(env, argv[1], "frameOff", &off) || !vxs_arg_u32(env, argv[2], "frameLen", &len) ||
      !vxs_arg_bytes(env, argv[3], "dst", &dst, &dst_len) ||
      !vxs_arg_u32(env, argv[4], "dstOff", &dst_off) ||
      !vxs_arg_u32(env, argv[5], "dstEnd", &dst_end) ||
      !vxs_arg_bytes(env, argv[6], "encap", &encap, &encap_len_buf) ||
      !vxs_arg_u32(env, argv[7], "encapLen", &elen) ||
      !vxs_arg_u32(env, argv[8], "maxMessage", &max_msg) ||
      !vxs_arg_u32s(env, argv[9], "out", &out, &nout))
    return NULL;
  if (off < VNET_HDR_LEN || (uint64_t)off + len > src_len) {
    vxs_throw_range(env, "frame (offset %u, length %u) with its virtio-net header lies outside the %zu-byte slab",
                    off, len, src_len);
    return NULL;
  }
  if (dst_off > dst_end || dst_end > dst_len) {
    vxs_throw_range(env, "dstOff %u .. dstEnd %u lies outside the %zu-byte destination", dst_off, dst_end,
                    dst_len);
    return NULL;
  }
  if (elen > ENCAP_MAX || elen > encap_len_buf) {
    vxs_throw_range(env, "encapLen %u must be at most %d and fit the %zu-byte template", elen, ENCAP_MAX,
                    encap_len_buf);
    return NULL;
  }
  const uint8_t *vh = src + off - VNET_HDR_LEN;
  if (ranges_overlap(vh, (size_t)len + VNET_HDR_LEN, dst + dst_off, dst_end - dst_off) ||
      ranges_overlap(encap, elen, dst + dst_off, dst_end - dst_off)) {
    vxs_throw_range(env, "destination (%u bytes at %u) overlaps the frame or the encap template",
                    dst_end - dst_off, dst_off);
    return NULL;
  }
  return vxs_i32(env, vxs_tso_split_trailer(vh, vh + VNET_HDR_LEN, len, dst, dst_off, dst_end, encap, elen,
                                            trailer, max_msg, out, nout));
}

// ---------------------------------------------------------------------------------------------
// Ingress: TCP receive coalescing

enum pkt_kind {
  PKT_OTHER,  // cannot belong to a TCP flow (ARP, UDP, ICMP, ...)
  PKT_WEIRD,  // might belong to one but cannot be read (fragments, IP options, VLAN tags)
  PKT_TCP,    // a TCP segment whose flow key was read
};

struct gro_pkt {
  enum pkt_kind kind;
  bool candidate;  // may start or join a super-frame: data, no SYN/RST/URG, IPv4 header checksum
                   // verified (the TCP checksum is verified as the payload is copied: see hsum)
  bool partial;    // its TCP checksum is a partial one (pseudo-header sum only): trusted as is
  uint64_t hsum;   // pseudo-header + TCP header sum: with the payload's sum, 0xffff when valid
  bool v6;
  uint32_t l4, hdrs, payload, seq;
  uint16_t id;
  uint8_t flags;
};

static void parse_tcp(const uint8_t *f, uint32_t len, uint32_t l4, uint32_t end, bool v6,
                      struct gro_pkt *p) {
  if (l4 + 20 > end) {
    p->kind = PKT_WEIRD;
    return;
  }
  uint32_t thl = (uint32_t)(f[l4 + 12] >> 4) * 4;
  if (thl < 20 || l4 + thl > end) {
    p->kind = PKT_WEIRD;
    return;
  }
  p->kind = PKT_TCP;
  p->v6 = v6;
  p->l4 = l4;
  p->hdrs = l4 + thl;
  p->payload = end - p->hdrs;
  p->seq = vxs_get32(f + l4 + 4);
  p->flags = f[l4 + 13];
  // Ethernet padding (end < len) only happens on tiny frames; leave those as they are.
  if (p->payload == 0 || end != len || (p->flags & (TCP_SYN | TCP_RST | TCP_URG))) return;
  if (!v6 && vxs_csum_fold(vxs_csum_add(f + ETH_HLEN, 20, 0)) != 0xffff) return;
  uint64_t sum = vxs_pseudo_sum(f + ETH_HLEN, v6, PROTO_TCP, end - l4);
  // A partial checksum is what a same-host sender's CHECKSUM_PARTIAL leaves: its data cannot be
  // verified, as the kernel would not verify it either; the super-frame gets NEEDS_CSUM anyway.
  uint16_t now;
  memcpy(&now, f + l4 + 16, 2);
  p->partial = now == vxs_csum_fold(sum);
  p->hsum = vxs_csum_add(f + l4, thl, sum);
  p->candidate = true;
}

// Copies a candidate's payload to dst while summing it: false (dst then holds garbage the caller
// ignores) when its complete TCP checksum is wrong. One pass over the payload, not two.
static bool copy_verified(uint8_t *dst, const uint8_t *f, const struct gro_pkt *p) {
  uint64_t sum = vxs_csum_copy(dst, f + p->hdrs, p->payload, p->hsum);
  return p->partial || vxs_csum_fold(sum) == 0xffff;
}

static void parse_pkt(const uint8_t *f, uint32_t len, struct gro_pkt *p) {
  memset(p, 0, sizeof *p);
  p->kind = PKT_OTHER;
  uint16_t et = vxs_get16(f + 12);
  if (et == ETH_P_IPV4) {
    if (len < ETH_HLEN + 20 || f[ETH_HLEN + 9] != PROTO_TCP) return;
    uint32_t tot = vxs_get16(f + ETH_HLEN + 2);
    if (f[ETH_HLEN] != 0x45 || (vxs_get16(f + ETH_HLEN + 6) & 0x3fff) != 0 ||
        ETH_HLEN + tot > len || tot < 20) {
      p->kind = PKT_WEIRD;
      return;
    }
    p->id = vxs_get16(f + ETH_HLEN + 4);
    parse_tcp(f, len, ETH_HLEN + 20, ETH_HLEN + tot, false, p);
  } else if (et == ETH_P_IPV6) {
    if (len < ETH_HLEN + 40) return;
    uint8_t nh = f[ETH_HLEN + 6];
    uint32_t end = ETH_HLEN + 40 + vxs_get16(f + ETH_HLEN + 4);
    if (nh == PROTO_UDP || nh == PROTO_ICMPV6) return;
    if (nh != PROTO_TCP || (f[ETH_HLEN] >> 4) != 6 || end > len) {
      p->kind = PKT_WEIRD;
      return;
    }
    parse_tcp(f, len, ETH_HLEN + 40, end, true, p);
  } else if (et == ETH_P_8021Q || et == ETH_P_8021AD) {
    p->kind = PKT_WEIRD;
  }
}

struct gro_flow {
  uint32_t rec;         // its output record
  uint8_t *frame;       // the super-frame in the output slab (its first packet's headers)
  uint32_t len;         // bytes so far
  uint32_t l4, hdrs, mss, next_seq, packets, src, reserve_end;
  uint16_t last_id;
  uint8_t first_flags, last_flags;
  bool v6, partial;
  uint32_t partials;  // its packets that came with a partial checksum
  const uint8_t *encap;  // the first packet's encapsulation header (rx slab)
};

struct gro_state {
  uint8_t *out;
  uint32_t out_len, pos;
  uint32_t *recs;
  uint32_t nrec, max_rec;
  uint32_t partials;  // frames handed over with NEEDS_CSUM because their checksum was partial
  uint32_t max_frame;  // largest frame the TAP's link takes unsegmented (0: no limit)
  const uint8_t *src_addrs;
  uint32_t elen;
  bool gre;
  struct gro_flow flows[GRO_FLOWS];
  uint32_t nflows;
};

static bool same_flow(const struct gro_state *st, const struct gro_flow *fl, const uint8_t *f,
                      const struct gro_pkt *p, uint32_t src, const uint8_t *encap) {
  if (fl->v6 != p->v6 || fl->l4 != p->l4 || memcmp(fl->frame, f, ETH_HLEN) != 0) return false;
  if (!p->v6 ? memcmp(fl->frame + ETH_HLEN + 12, f + ETH_HLEN + 12, 8) != 0
             : memcmp(fl->frame + ETH_HLEN + 8, f + ETH_HLEN + 8, 32) != 0)
    return false;
  if (memcmp(fl->frame + p->l4, f + p->l4, 4) != 0) return false;
  if (fl->src != src && memcmp(st->src_addrs + (size_t)fl->src * 16, st->src_addrs + (size_t)src * 16, 16) != 0)
    return false;
  if (!st->gre) return memcmp(fl->encap, encap, st->elen) == 0;
  // GRE: same flags, version and protocol, and the same key. Sequence numbers differ per packet
  // by design; packets with a checksum never get here (each is verified on its own in JS).
  if (memcmp(fl->encap, encap, 4) != 0) return false;
  return !(encap[0] & GRE_F_K) || memcmp(fl->encap + 4, encap + 4, 4) == 0;
}

// A GRE header's length from its flags (RFC 2784/2890: 4 bytes + 4 for each of C, K, S).
static uint32_t gre_header_len(const uint8_t *g) {
  return 4u + ((g[0] & GRE_F_C) ? 4u : 0u) + ((g[0] & GRE_F_K) ? 4u : 0u) + ((g[0] & GRE_F_S) ? 4u : 0u);
}

// Only plain Transparent Ethernet Bridging, version 0, without checksum or routing, may merge:
// anything else goes to JS one packet at a time, which verifies or drops it.
static bool gre_mergeable(const uint8_t *g) {
  return !(g[0] & (GRE_F_C | GRE_F_R)) && (g[1] & 0x07) == 0 && g[2] == 0x65 && g[3] == 0x58;
}

// tcp_gro_receive's rules: the next sequence number, the same ACK, window, header length, flags
// (but PSH/FIN, which end the super-frame) and options byte for byte; IP fields that must not
// change; no CWR after the first; never longer than the first segment.
static bool can_merge(const struct gro_flow *fl, const uint8_t *f, const struct gro_pkt *p) {
  const uint8_t *h = fl->frame;
  const uint32_t l4 = p->l4;
  if (!p->candidate || p->hdrs != fl->hdrs || p->seq != fl->next_seq || p->payload > fl->mss) return false;
  if (fl->len - ETH_HLEN + p->payload > 65535) return false;
  if (!p->v6) {
    const uint8_t *a = h + ETH_HLEN, *b = f + ETH_HLEN;
    if (a[1] != b[1] || a[8] != b[8] || ((a[6] ^ b[6]) & 0x40)) return false;
    // IP IDs must increase by one per segment, or stay fixed with DF set (RFC 6864 atomic).
    if (p->id != (uint16_t)(fl->last_id + 1) && !((b[6] & 0x40) && p->id == fl->last_id)) return false;
  } else if (memcmp(h + ETH_HLEN, f + ETH_HLEN, 4) != 0 || h[ETH_HLEN + 7] != f[ETH_HLEN + 7]) {
    return false;
  }
  if (memcmp(h + l4 + 8, f + l4 + 8, 4) != 0 || h[l4 + 12] != f[l4 + 12]) return false;
  if (((fl->first_flags ^ p->flags) & (uint8_t)~(TCP_CWR | TCP_FIN | TCP_PSH)) || (p->flags & TCP_CWR))
    return false;
  if (memcmp(h + l4 + 14, f + l4 + 14, 2) != 0) return false;
  return memcmp(h + l4 + 20, f + l4 + 20, p->hdrs - l4 - 20) == 0;
}

// Writes the virtio-net header and final IP/TCP headers of a flow's super-frame.
static void gro_finish(struct gro_state *st, struct gro_flow *fl) {
  uint8_t *vh = fl->frame - VNET_HDR_LEN, *h = fl->frame;
  uint32_t *rec = st->recs + (size_t)fl->rec * GRO_RECORD;
  memset(vh, 0, VNET_HDR_LEN);
  rec[1] = VNET_HDR_LEN + fl->len;
  rec[4] = fl->packets;
  // One packet longer than the link takes is a sender's GSO packet that crossed a same-host
  // underlay whole (UDP tunnel GSO reaches a plain UDP socket unsegmented): it goes to the TAP
  // as a GSO frame too, segmented to the link's size.
  bool oversize = st->max_frame != 0 && fl->len > st->max_frame;
  if (fl->packets >= 2 || oversize) {
    uint32_t mss = fl->mss;
    if (st->max_frame > fl->hdrs && fl->hdrs + mss > st->max_frame) mss = st->max_frame - fl->hdrs;
    uint8_t *ip = h + ETH_HLEN, *th = h + fl->l4;
    if (!fl->v6) {
      vxs_put16(ip + 2, fl->len - ETH_HLEN);
      ip[10] = ip[11] = 0;
      vxs_csum_store(ip + 10, (uint16_t)~vxs_csum_fold(vxs_csum_add(ip, 20, 0)));
    } else {
      vxs_put16(ip + 4, fl->len - ETH_HLEN - 40);
    }
    th[13] |= fl->last_flags;
    // CHECKSUM_PARTIAL convention: the field holds the folded pseudo-header sum.
    vxs_csum_store(th + 16, vxs_csum_fold(vxs_pseudo_sum(ip, fl->v6, PROTO_TCP, fl->len - fl->l4)));
    vh[0] = VNET_F_NEEDS_CSUM;
    vh[1] = (uint8_t)((fl->v6 ? GSO_TCPV6 : GSO_TCPV4) | ((fl->first_flags & TCP_CWR) ? GSO_ECN : 0));
    vxs_put16le(vh + 2, fl->hdrs);
    vxs_put16le(vh + 4, mss);
    vxs_put16le(vh + 6, fl->l4);
    vxs_put16le(vh + 8, 16);
  } else if (fl->partial) {
    vnet_needs_csum(vh, fl->l4, 16);
  }
  st->partials += fl->partials;
  // Give back the unused part of its reservation when nothing was placed behind it.
  if (st->pos == fl->reserve_end) st->pos = align8((uint32_t)(fl->frame - st->out) + fl->len);
}

static void gro_close(struct gro_state *st, uint32_t i) {
  gro_finish(st, &st->flows[i]);
  memmove(&st->flows[i], &st->flows[i + 1], (st->nflows - i - 1) * sizeof st->flows[0]);
  st->nflows--;
}

static void gro_close_all(struct gro_state *st) {
  while (st->nflows > 0) gro_close(st, st->nflows - 1);  // newest first: reservations unwind
}

// Places one packet as a new output record (a new flow when it is a candidate). False when the
// output slab or record list is full.
static bool gro_place(struct gro_state *st, const uint8_t *f, uint32_t flen, const struct gro_pkt *p,
                      uint32_t src, uint32_t encap_off, const uint8_t *encap) {
  if (st->nrec == st->max_rec) return false;
  bool candidate = p->candidate;
  uint32_t room = candidate ? GRO_MAX_FRAME : flen;
  uint32_t need = align8(GRO_PAD + VNET_HDR_LEN + room);
  if ((uint64_t)st->pos + need > st->out_len) {
    gro_close_all(st);
    if ((uint64_t)st->pos + need > st->out_len) return false;
  }
  if (candidate && st->nflows == GRO_FLOWS) gro_close(st, 0);
  uint32_t vnet_off = st->pos + GRO_PAD;
  uint8_t *frame = st->out + vnet_off + VNET_HDR_LEN;
  if (candidate) {
    memcpy(frame, f, p->hdrs);
    // A wrong TCP checksum: the frame goes to the TAP as it came, for the receiver to drop.
    if (!copy_verified(frame + p->hdrs, f, p)) {
      candidate = false;
      room = flen;
    }
  } else {
    memcpy(frame, f, flen);
  }
  memset(frame - VNET_HDR_LEN, 0, VNET_HDR_LEN);
  uint32_t start, field;
  if (!candidate && l4_partial(frame, flen, &start, &field)) {
    vnet_needs_csum(frame - VNET_HDR_LEN, start, field);
    st->partials++;
  }
  uint32_t *rec = st->recs + (size_t)st->nrec * GRO_RECORD;
  rec[0] = vnet_off;
  rec[1] = VNET_HDR_LEN + flen;
  rec[2] = src;
  rec[3] = encap_off;
  rec[4] = 1;
  rec[5] = flen;
  st->pos = align8(vnet_off + VNET_HDR_LEN + room);
  if (candidate) {
    struct gro_flow *fl = &st->flows[st->nflows++];
    fl->rec = st->nrec;
    fl->frame = frame;
    fl->len = flen;
    fl->l4 = p->l4;
    fl->hdrs = p->hdrs;
    fl->mss = p->payload;
    fl->next_seq = p->seq + p->payload;
    fl->packets = 1;
    fl->src = src;
    fl->reserve_end = st->pos;
    fl->last_id = p->id;
    fl->first_flags = p->flags;
    fl->last_flags = 0;
    fl->v6 = p->v6;
    fl->partial = p->partial;
    fl->partials = p->partial ? 1 : 0;
    fl->encap = encap;
    st->nrec++;
    if (p->flags & (TCP_PSH | TCP_FIN)) gro_close(st, st->nflows - 1);
  } else {
    st->nrec++;
  }
  return true;
}

// groCoalesce(slab, slotSize, headroom, lengths, segSizes, srcAddrs, count, encapLen, cursor,
//             out, records, maxRecords, maxFrame) -> records written
// Walks datagrams (UDP_GRO trains cut by segSizes) from cursor[0] (datagram) / cursor[1] (byte
// offset in it), strips encapLen bytes of tunnel header from each packet (GRO_ENCAP_GRE, 255:
// a GRE header, its length read from each packet's flags; only packets without checksum or
// routing, version 0, protocol 0x6558, merge) and writes the inner
// frames to `out`, each behind a virtio-net header: same-flow TCP segments merged into one GSO
// super-frame (NEEDS_CSUM, TCPV4/TCPV6), everything else copied as is with a zeroed header.
// Packets are merged only with packets from the same source address with the same tunnel header.
// A TCP frame longer than maxFrame (the largest untagged frame the TAPs' links take; 0: no limit)
// becomes a GSO frame of segments that fit.
// Record r (6 numbers): vnet header offset in out, length (header + frame), datagram index,
// slab offset of the first packet's tunnel header, packets merged, their inner bytes.
// Stops early when out or records are full: cursor then says where to resume (cursor[0] ==
// count when done); cursor[2] counts packets too short to hold a tunnel and Ethernet header,
// cursor[3] frames whose TCP/UDP checksum was partial and is left to the kernel (NEEDS_CSUM).
static napi_value gro_coalesce(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  uint8_t *slab, *src_addrs, *out;
  uint16_t *segs;
  size_t slab_len, nlengths, nsegs, naddrs, ncursor, out_len, nrecs;
  uint32_t slot, headroom, count, elen, max_rec, max_frame, *lengths, *cursor, *recs;
  if (!vxs_args(env, info, 13, argv) || !vxs_arg_bytes(env, argv[0], "slab", &slab, &slab_len) ||
      !vxs_arg_u32(env, argv[1], "slotSize", &slot) ||
      !vxs_arg_u32(env, argv[2], "headroom", &headroom) ||
      !vxs_arg_u32s(env, argv[3], "lengths", &lengths, &nlengths) ||
      !vxs_arg_u16s(env, argv[4], "segSizes", &segs, &nsegs) ||
      !vxs_arg_bytes(env, argv[5], "srcAddrs", &src_addrs, &naddrs) ||
      !vxs_arg_u32(env, argv[6], "count", &count) ||
      !vxs_arg_u32(env, argv[7], "encapLen", &elen) ||
      !vxs_arg_u32s(env, argv[8], "cursor", &cursor, &ncursor) ||
      !vxs_arg_bytes(env, argv[9], "out", &out, &out_len) ||
      !vxs_arg_u32s(env, argv[10], "records", &recs, &nrecs) ||
      !vxs_arg_u32(env, argv[11], "maxRecords", &max_rec) ||
      !vxs_arg_u32(env, argv[12], "maxFrame", &max_frame) ||
      !vxs_check_slots(env, slab_len, slot, headroom, count, nlengths))
    return NULL;
  if (nsegs < count || naddrs < (size_t)count * 16 || ncursor < 4 ||
      (size_t)max_rec * GRO_RECORD > nrecs || (elen > ENCAP_MAX && elen != GRO_ENCAP_GRE) ||
      out_len > UINT32_MAX) {
    vxs_throw_range(env, "segSizes/srcAddrs shorter than count (%u), cursor shorter than 4, records "
                    "shorter than maxRecords (%u) * %d, or encapLen (%u) over %d (255: GRE)",
                    count, max_rec, GRO_RECORD, elen, ENCAP_MAX);
    return NULL;
  }
  if (out_len < align8(GRO_PAD + VNET_HDR_LEN + GRO_MAX_FRAME)) {
    vxs_throw_range(env, "out must hold at least one %d-byte super-frame, got %zu bytes",
                    GRO_MAX_FRAME, out_len);
    return NULL;
  }
  struct gro_state st;
  memset(&st, 0, sizeof st);
  st.out = out;
  st.out_len = (uint32_t)out_len;
  st.recs = recs;
  st.max_rec = max_rec;
  st.src_addrs = src_addrs;
  st.elen = elen;
  st.gre = elen == GRO_ENCAP_GRE;
  st.max_frame = max_frame;

  uint32_t d = cursor[0], o = cursor[1];
  for (; d < count; d++, o = 0) {
    uint32_t total = lengths[d];
    if (total > slot - headroom) continue;  // cannot happen with slabs filled by udpRecv
    if (total == 0) {  // an empty datagram: a runt like any short one, never lost uncounted
      cursor[2]++;
      continue;
    }
    uint32_t seg = segs[d] != 0 ? segs[d] : total;
    const uint8_t *base = slab + (size_t)d * slot + headroom;
    for (; seg > 0 && o < total; o += seg) {
      uint32_t plen = total - o < seg ? total - o : seg;
      const uint8_t *pkt = base + o;
      uint32_t hl = elen;
      bool merge_ok = true;
      if (st.gre) {
        if (plen < 4) {
          cursor[2]++;
          continue;
        }
        hl = gre_header_len(pkt);
        merge_ok = gre_mergeable(pkt);
      }
      if (plen < hl + ETH_HLEN) {
        cursor[2]++;
        continue;
      }
      const uint8_t *f = pkt + hl;
      uint32_t flen = plen - hl;
      struct gro_pkt p;
      parse_pkt(f, flen, &p);
      // Not mergeable: placed on its own, after whatever was gathered (order kept).
      if (!merge_ok) {
        p.kind = PKT_WEIRD;
        p.candidate = false;
      }
      if (p.kind == PKT_WEIRD) {
        gro_close_all(&st);
      } else if (p.kind == PKT_TCP) {
        uint32_t i = 0;
        while (i < st.nflows && !same_flow(&st, &st.flows[i], f, &p, d, pkt)) i++;
        if (i < st.nflows) {
          struct gro_flow *fl = &st.flows[i];
          if (can_merge(fl, f, &p) && copy_verified(fl->frame + fl->len, f, &p)) {
            fl->len += p.payload;
            fl->next_seq += p.payload;
            fl->packets++;
            fl->last_id = p.id;
            fl->last_flags = p.flags & (TCP_PSH | TCP_FIN);
            fl->partials += p.partial ? 1 : 0;
            st.recs[(size_t)fl->rec * GRO_RECORD + 5] += flen;
            if (p.payload < fl->mss || fl->last_flags) gro_close(&st, i);
            continue;
          }
          // Same flow, not mergeable: what was gathered goes first, in order.
          gro_close(&st, i);
        }
      }
      if (!gro_place(&st, f, flen, &p, d, (uint32_t)(pkt - slab), pkt)) goto stop;
    }
  }
stop:
  gro_close_all(&st);
  cursor[0] = d;
  cursor[1] = o;
  cursor[3] += st.partials;
  return vxs_u32(env, st.nrec);
}

bool vxs_register_offload(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "vnetFinishBatch", vnet_finish_batch) &&
         vxs_export(env, exports, "tsoSplit", tso_split) &&
         vxs_export(env, exports, "groCoalesce", gro_coalesce);
}
