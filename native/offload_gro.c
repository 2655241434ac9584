// TAP offloads in software, ingress: decapsulate a receive batch and coalesce same-flow TCP
// segments into GSO super-frames for the TAP (like tcp_gro), everything else copied behind a
// virtio-net header (groCoalesce).
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "addon.h"
#include "args.h"
#include "errors.h"
#include "gre_header.h"
#include "offload_frame.h"

// Flows gathered at once; the oldest is closed when a ninth starts.
#define GRO_FLOWS 8

static uint32_t align8(uint32_t v) { return (v + 7u) & ~7u; }

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
  // A partial checksum is what a same-host sender's CHECKSUM_PARTIAL leaves: its data cannot be
  // verified, as the kernel would not verify it either; a super-frame gets NEEDS_CSUM anyway, and
  // so does a packet that goes on its own (pure ACKs included: judged here, not walked again).
  uint64_t sum = vxs_pseudo_sum(f + ETH_HLEN, v6, PROTO_TCP, end - l4);
  uint16_t now;
  memcpy(&now, f + l4 + 16, 2);
  p->partial = now == vxs_csum_fold(sum);
  // Ethernet padding (end < len) only happens on tiny frames; leave those as they are.
  if (p->payload == 0 || end != len || (p->flags & (TCP_SYN | TCP_RST | TCP_URG))) return;
  if (!v6 && vxs_csum_fold(vxs_csum_add(f + ETH_HLEN, 20, 0)) != 0xffff) return;
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
  uint8_t *vh = fl->frame - VXS_VNET_HDR_LEN, *h = fl->frame;
  uint32_t *rec = st->recs + (size_t)fl->rec * VXS_GRO_RECORD;
  memset(vh, 0, VXS_VNET_HDR_LEN);
  rec[1] = VXS_VNET_HDR_LEN + fl->len;
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
    vxs_vnet_needs_csum(vh, fl->l4, 16);
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
  uint32_t room = candidate ? VXS_GRO_MAX_FRAME : flen;
  uint32_t need = align8(VXS_GRO_PAD + VXS_VNET_HDR_LEN + room);
  if ((uint64_t)st->pos + need > st->out_len) {
    gro_close_all(st);
    if ((uint64_t)st->pos + need > st->out_len) return false;
  }
  if (candidate && st->nflows == GRO_FLOWS) gro_close(st, 0);
  uint32_t vnet_off = st->pos + VXS_GRO_PAD;
  uint8_t *frame = st->out + vnet_off + VXS_VNET_HDR_LEN;
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
  memset(frame - VXS_VNET_HDR_LEN, 0, VXS_VNET_HDR_LEN);
  if (!candidate) {
    // parse_pkt judged a TCP packet's checksum already; anything else is walked here.
    uint32_t start = p->l4, field = 16;
    if (p->kind == PKT_TCP ? p->partial : vxs_l4_partial(frame, flen, &start, &field)) {
      vxs_vnet_needs_csum(frame - VXS_VNET_HDR_LEN, start, field);
      st->partials++;
    }
  }
  uint32_t *rec = st->recs + (size_t)st->nrec * VXS_GRO_RECORD;
  rec[0] = vnet_off;
  rec[1] = VXS_VNET_HDR_LEN + flen;
  rec[2] = src;
  rec[3] = encap_off;
  rec[4] = 1;
  rec[5] = flen;
  st->pos = align8(vnet_off + VXS_VNET_HDR_LEN + room);
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
      (size_t)max_rec * VXS_GRO_RECORD > nrecs || (elen > VXS_ENCAP_MAX && elen != VXS_GRO_ENCAP_GRE) ||
      out_len > UINT32_MAX) {
    vxs_throw_range(env, "segSizes/srcAddrs shorter than count (%u), cursor shorter than 4, records "
                    "shorter than maxRecords (%u) * %d, or encapLen (%u) over %d (255: GRE)",
                    count, max_rec, VXS_GRO_RECORD, elen, VXS_ENCAP_MAX);
    return NULL;
  }
  if (out_len < align8(VXS_GRO_PAD + VXS_VNET_HDR_LEN + VXS_GRO_MAX_FRAME)) {
    vxs_throw_range(env, "out must hold at least one %d-byte super-frame, got %zu bytes",
                    VXS_GRO_MAX_FRAME, out_len);
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
  st.gre = elen == VXS_GRO_ENCAP_GRE;
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
        hl = vxs_gre_header_len(pkt);
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
            st.recs[(size_t)fl->rec * VXS_GRO_RECORD + 5] += flen;
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

bool vxs_register_gro(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "groCoalesce", gro_coalesce);
}
