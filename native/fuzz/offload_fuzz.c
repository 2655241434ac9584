// Fuzz harness for the offload byte-crunching: the TSO/USO split, the partial-checksum pass, the
// GRO coalescer (through its Node-API wrapper on shim.c's values) and the checksum primitive, fed
// valid seed frames, mutated frames and random bytes with random virtio-net headers. Every buffer
// is allocated to its exact size so AddressSanitizer sees any byte read or written outside it.
// Usage: offload_fuzz [iterations] [seed]. Exits 0 when every check held.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../addon.h"
#include "../csum.h"
#include "../offload.h"
#include "shim.h"

// groCoalesce's minimum output: one padded, 8-aligned super-frame behind its virtio-net header.
#define GRO_OUT_MIN ((VXS_GRO_PAD + VXS_VNET_HDR_LEN + VXS_GRO_MAX_FRAME + 7) & ~7)

static uint64_t rng_state;

static uint64_t rnd(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545F4914F6CDD1DULL;
}
static uint32_t below(uint32_t n) { return n == 0 ? 0 : (uint32_t)(rnd() % n); }
static bool chance(uint32_t one_in) { return below(one_in) == 0; }

static void *xmalloc(size_t n) {
  void *p = malloc(n == 0 ? 1 : n);
  if (p == NULL) abort();
  return p;
}

static void check(bool ok, const char *what, uint64_t iter) {
  if (ok) return;
  fprintf(stderr, "offload_fuzz: check failed at iteration %llu: %s\n", (unsigned long long)iter, what);
  exit(1);
}

// ---------------------------------------------------------------------------------------------
// Seed frames

struct seed {
  uint32_t len, l3, l4, hdrs;
  bool v6, tcp;
};

// Ethernet [+ VLAN] + IPv4/IPv6 [+ hop-by-hop] + TCP/UDP + payload with correct checksums.
static struct seed build(uint8_t *f, bool v6, bool tcp, bool vlan, bool ext, uint32_t payload, uint32_t seq,
                         uint16_t id, uint8_t flags, uint32_t optlen) {
  struct seed s = {0};
  memset(f, 0, 12);
  f[0] = 0x02, f[5] = 0x0b, f[6] = 0x02, f[11] = 0x0a;
  uint32_t off = 12;
  if (vlan) {
    vxs_put16(f + off, 0x8100);
    vxs_put16(f + off + 2, 100);
    off += 4;
  }
  vxs_put16(f + off, v6 ? 0x86dd : 0x0800);
  s.l3 = off + 2;
  uint8_t *ip = f + s.l3;
  uint32_t l4hl = tcp ? 20 + optlen : 8;
  uint8_t proto = tcp ? 6 : 17;
  if (!v6) {
    memset(ip, 0, 20);
    ip[0] = 0x45;
    vxs_put16(ip + 2, 20 + l4hl + payload);
    vxs_put16(ip + 4, id);
    ip[6] = 0x40;
    ip[8] = 64;
    ip[9] = proto;
    ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
    vxs_csum_store(ip + 10, (uint16_t)~vxs_csum_fold(vxs_csum_add(ip, 20, 0)));
    s.l4 = s.l3 + 20;
  } else {
    memset(ip, 0, 40);
    ip[0] = 0x60;
    uint32_t extlen = ext ? 8 : 0;
    vxs_put16(ip + 4, extlen + l4hl + payload);
    ip[6] = ext ? 0 : proto;
    ip[7] = 64;
    ip[8] = 0xfd, ip[23] = 1, ip[24] = 0xfd, ip[39] = 2;
    s.l4 = s.l3 + 40;
    if (ext) {
      memset(f + s.l4, 0, 8);
      f[s.l4] = proto;
      f[s.l4 + 2] = 1;
      f[s.l4 + 3] = 4;
      s.l4 += 8;
    }
  }
  uint8_t *th = f + s.l4;
  memset(th, 0, l4hl);
  vxs_put16(th, 40000);
  vxs_put16(th + 2, 5201);
  if (tcp) {
    vxs_put32(th + 4, seq);
    vxs_put32(th + 8, 7777);
    th[12] = (uint8_t)((l4hl / 4) << 4);
    th[13] = flags;
    vxs_put16(th + 14, 502);
    for (uint32_t i = 20; i < l4hl; i++) th[i] = 1;  // NOP options
  } else {
    vxs_put16(th + 4, 8 + payload);
  }
  s.hdrs = s.l4 + l4hl;
  for (uint32_t i = 0; i < payload; i++) f[s.hdrs + i] = (uint8_t)(seq + i);
  s.len = s.hdrs + payload;
  uint32_t l4len = s.len - s.l4;
  uint64_t sum = vxs_pseudo_sum(ip, v6, proto, l4len);
  uint16_t c = (uint16_t)~vxs_csum_fold(vxs_csum_add(th, l4len, sum));
  vxs_csum_store(th + (tcp ? 16 : 6), !tcp && c == 0 ? 0xffff : c);
  s.v6 = v6;
  s.tcp = tcp;
  return s;
}

// Turns a full-checksum frame into what a TAP hands over: the field holds the pseudo-header sum.
static void make_partial(uint8_t *f, const struct seed *s) {
  uint8_t *field = f + s->l4 + (s->tcp ? 16 : 6);
  vxs_csum_store(field, vxs_csum_fold(vxs_pseudo_sum(f + s->l3, s->v6, s->tcp ? 6 : 17, s->len - s->l4)));
}

static void write_vnet(uint8_t *vh, uint8_t flags, uint8_t type, uint16_t hdr_len, uint16_t gso, uint16_t start,
                       uint16_t offset) {
  vh[0] = flags;
  vh[1] = type;
  vxs_put16le(vh + 2, hdr_len);
  vxs_put16le(vh + 4, gso);
  vxs_put16le(vh + 6, start);
  vxs_put16le(vh + 8, offset);
}

// Flips, overwrites or zeroes a few bytes; true if anything changed.
static bool mutate(uint8_t *p, uint32_t len) {
  if (len == 0 || !chance(2)) return false;
  uint32_t n = 1 + below(4);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t at = chance(2) ? below(len < 80 ? len : 80) : below(len);  // headers more often
    switch (below(3)) {
      case 0: p[at] ^= (uint8_t)(1u << below(8)); break;
      case 1: p[at] = (uint8_t)rnd(); break;
      default: p[at] = chance(2) ? 0 : 0xff; break;
    }
  }
  return true;
}

static void random_bytes(uint8_t *p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
}

static uint16_t random_mss(void) {
  static const uint16_t picks[] = {0, 1, 7, 8, 47, 48, 49, 536, 1398, 1448, 8948, 65535};
  return chance(2) ? picks[below(sizeof picks / sizeof picks[0])] : (uint16_t)rnd();
}

// Every segment of a split of an unmodified seed: IPv4 header and L4 checksums verify.
static void verify_segments(const uint8_t *dst, const uint32_t *out, int nmsg, uint32_t elen, const struct seed *s,
                            uint64_t iter) {
  for (int m = 0; m < nmsg; m++) {
    uint32_t off = out[3 * m], len = out[3 * m + 1], seg = out[3 * m + 2];
    uint32_t step = seg == 0 ? len : seg;
    for (uint32_t o = 0; o < len; o += step) {
      uint32_t slen = len - o < step ? len - o : step;
      const uint8_t *f = dst + off + o + elen;
      uint32_t flen = slen - elen;
      check(flen >= s->hdrs, "segment shorter than its headers", iter);
      if (!s->v6) check(vxs_csum_fold(vxs_csum_add(f + s->l3, 20, 0)) == 0xffff, "IPv4 header checksum", iter);
      uint32_t l4len = flen - s->l4;
      uint64_t sum = vxs_pseudo_sum(f + s->l3, s->v6, s->tcp ? 6 : 17, l4len);
      check(vxs_csum_fold(vxs_csum_add(f + s->l4, l4len, sum)) == 0xffff, "segment L4 checksum", iter);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Targets

static void fuzz_tso(uint64_t iter) {
  uint32_t payload = chance(4) ? below(65000) : below(9000);
  bool v6 = chance(2), tcp = !chance(4), vlan = chance(5), ext = v6 && chance(4);
  uint32_t optlen = tcp && chance(2) ? 12 : 0;
  uint32_t cap = 10 + 18 + 48 + 60 + payload;
  uint8_t *buf = xmalloc(cap);
  uint8_t *f = buf + 10;
  struct seed s = build(f, v6, tcp, vlan, ext, payload, (uint32_t)rnd(), (uint16_t)rnd(), 0x18, optlen);
  uint16_t mss = random_mss();
  bool partial = chance(4) != 0;
  if (partial) make_partial(f, &s);
  uint8_t type = tcp ? (v6 ? 4 : 1) : 5;
  write_vnet(buf, partial ? 1 : 0, type, (uint16_t)s.hdrs, mss, (uint16_t)s.l4, tcp ? 16 : 6);
  uint32_t len = s.len;
  bool changed = mutate(buf, 10 + len);
  if (chance(16)) {
    random_bytes(buf, 10 + len);
    changed = true;
  }
  if (chance(8)) {
    len = below(len + 1);
    changed = true;
  }
  // The frame in an exactly sized allocation: any read past its end is caught.
  uint8_t *src = xmalloc(10 + len);
  memcpy(src, buf, 10 + len);
  free(buf);

  uint32_t elen = below(17);
  uint8_t *encap = xmalloc(elen);
  random_bytes(encap, elen);
  uint32_t max_msg = chance(2) ? 65507 : below(70000);
  uint32_t segs = mss == 0 ? 1 : len / mss + 2;
  uint64_t want = (uint64_t)segs * (elen + 200) + len;
  uint32_t dst_cap = chance(4) ? below(4096) : (uint32_t)(want > 8u << 20 ? 8u << 20 : want);
  uint8_t *dst = xmalloc(dst_cap);
  uint32_t dst_off = below(dst_cap + 1) / (chance(2) ? 64 : 1);
  uint32_t dst_end = dst_off + below(dst_cap - dst_off + 1);
  if (chance(2)) dst_end = dst_cap;
  size_t nout = chance(4) ? below(30) : 3 * 2048;
  uint32_t *out = xmalloc(nout * sizeof *out);

  int r = vxs_tso_split(src, src + 10, len, dst, dst_off, dst_end, encap, elen, 0, max_msg, out, nout);
  check(r >= -2, "tso result", iter);
  if (r > 0) {
    check((size_t)r * 3 <= nout, "more messages than out holds", iter);
    uint32_t prev = dst_off;
    for (int m = 0; m < r; m++) {
      check(out[3 * m] >= prev && (uint64_t)out[3 * m] + out[3 * m + 1] <= dst_end, "message outside dst", iter);
      check(out[3 * m + 1] <= (max_msg > 0 ? max_msg : 1) || out[3 * m + 2] == 0, "message over maxMessage", iter);
      prev = out[3 * m] + out[3 * m + 1];
    }
    if (!changed && !vlan) verify_segments(dst, out, r, elen, &s, iter);
  }
  if (!changed && r == -1 && mss >= 48 && !vlan && partial && max_msg >= elen + s.hdrs + mss && s.hdrs - s.l3 + mss <= 65535)
    check(!tcp && payload > 128u * mss, "a valid super-frame was refused", iter);
  free(src);
  free(encap);
  free(dst);
  free(out);
}

// tsoSplit's wrapper with views that share memory: it must refuse them, never memcpy over itself.
static void fuzz_tso_wrapper(uint64_t iter) {
  static struct vxs_fuzz_env env;
  napi_callback fn = vxs_fuzz_export("tsoSplit");
  uint32_t cap = 4096 + below(60000);
  uint8_t *mem = xmalloc(cap);
  random_bytes(mem, cap);
  uint32_t a = below(cap), b = below(cap);
  uint8_t *src = mem + a, *dst = mem + b;
  uint32_t src_len = cap - a, dst_len = cap - b;
  uint8_t *encap = chance(2) ? mem + below(cap - 16) : mem;
  uint32_t out[3 * 64];
  struct vxs_fuzz_value v[10];
  struct vxs_fuzz_info info = {{0}, 10};
  info.argv[0] = vxs_fuzz_bytes(&v[0], src, src_len);
  info.argv[1] = vxs_fuzz_number(&v[1], below(src_len + 20));
  info.argv[2] = vxs_fuzz_number(&v[2], below(src_len + 20));
  info.argv[3] = vxs_fuzz_bytes(&v[3], dst, dst_len);
  info.argv[4] = vxs_fuzz_number(&v[4], below(dst_len + 1));
  info.argv[5] = vxs_fuzz_number(&v[5], dst_len);
  info.argv[6] = vxs_fuzz_bytes(&v[6], encap, 16);
  info.argv[7] = vxs_fuzz_number(&v[7], below(17));
  info.argv[8] = vxs_fuzz_number(&v[8], 65507);
  info.argv[9] = vxs_fuzz_u32s(&v[9], out, 3 * 64);
  env.thrown = false;
  napi_value r = fn(&env, &info);
  check(env.thrown == (r == NULL), "a wrapper returned nothing without an error, or both", iter);
  free(mem);
}

static void fuzz_vnet_finish(uint64_t iter) {
  uint32_t payload = below(3000);
  uint8_t *buf = xmalloc(10 + 18 + 48 + 60 + payload);
  struct seed s = build(buf + 10, chance(2), !chance(3), chance(6), false, payload, (uint32_t)rnd(), 1, 0x10, 0);
  make_partial(buf + 10, &s);
  write_vnet(buf, 1, 0, 0, 0, (uint16_t)s.l4, s.tcp ? 16 : 6);
  uint32_t len = 10 + s.len;
  bool changed = mutate(buf, len);
  if (chance(8)) {
    random_bytes(buf, 10);
    changed = true;
  }
  if (chance(8)) {
    len = below(len + 1);
    changed = true;
  }
  uint8_t *vh = xmalloc(len);
  memcpy(vh, buf, len);
  free(buf);
  enum vxs_vnet_finish r = vxs_vnet_finish(vh, len);
  check(r == VXS_VNET_UNTOUCHED || r == VXS_VNET_FINISHED || r == VXS_VNET_BAD, "vnet result", iter);
  if (!changed) {
    check(r == VXS_VNET_FINISHED, "a valid partial frame was not finished", iter);
    uint8_t *f = vh + 10;
    uint64_t sum = vxs_pseudo_sum(f + s.l3, s.v6, s.tcp ? 6 : 17, s.len - s.l4);
    check(vxs_csum_fold(vxs_csum_add(f + s.l4, s.len - s.l4, sum)) == 0xffff, "finished checksum", iter);
  }
  free(vh);
}

// One datagram: a UDP_GRO train of same-flow packets, each behind a VXLAN or GRE header.
static uint32_t gro_datagram(uint8_t *d, uint32_t cap, bool gre, uint32_t elen, uint16_t *seg, uint32_t *seq) {
  uint32_t packets = 1 + below(5), payload = 1 + below(1400), pos = 0;
  bool v6 = chance(3);
  uint8_t frame[1600];
  *seg = 0;
  for (uint32_t k = 0; k < packets; k++) {
    uint32_t hl = elen;
    uint8_t h[16] = {0};
    if (gre) {
      h[0] = chance(3) ? (uint8_t)(below(8) << 4) : 0x20;  // C/K/S flags, mostly K
      h[2] = 0x65, h[3] = 0x58;
      hl = 4u + ((h[0] & 0x80) ? 4u : 0u) + ((h[0] & 0x20) ? 4u : 0u) + ((h[0] & 0x10) ? 4u : 0u);
      if (k > 0) memcpy(h, d, 4);  // a train keeps its flags
      hl = 4u + ((h[0] & 0x80) ? 4u : 0u) + ((h[0] & 0x20) ? 4u : 0u) + ((h[0] & 0x10) ? 4u : 0u);
    } else {
      h[0] = 0x08;
      h[6] = 42;
    }
    uint32_t p = k + 1 == packets ? 1 + below(payload) : payload;
    struct seed s = build(frame, v6, true, false, false, p, *seq, (uint16_t)(*seq / 1000), chance(6) ? 0x18 : 0x10, 0);
    *seq += p;
    if (pos + hl + s.len > cap) break;
    memcpy(d + pos, h, hl);
    memcpy(d + pos + hl, frame, s.len);
    if (k == 0) *seg = (uint16_t)(hl + s.len);
    pos += hl + s.len;
  }
  if (pos <= *seg) *seg = 0;
  return pos;
}

static void fuzz_gro(uint64_t iter) {
  static struct vxs_fuzz_env env;
  napi_callback fn = vxs_fuzz_export("groCoalesce");
  uint32_t count = 1 + below(6);
  uint32_t headroom = below(64), slot = headroom + 2048 * 5;
  bool gre = chance(2);
  uint32_t elen = gre ? 255 : 8;
  uint8_t *slab = xmalloc((size_t)count * slot);
  uint32_t *lengths = xmalloc(count * sizeof *lengths);
  uint16_t *segs = xmalloc(count * sizeof *segs);
  uint8_t *addrs = xmalloc((size_t)count * 16);
  uint32_t seq = (uint32_t)rnd();
  for (uint32_t d = 0; d < count; d++) {
    uint8_t *base = slab + (size_t)d * slot + headroom;
    lengths[d] = gro_datagram(base, slot - headroom, gre, gre ? 4 : 8, &segs[d], &seq);
    mutate(base, lengths[d]);
    if (chance(10)) random_bytes(base, lengths[d]);
    if (chance(12)) lengths[d] = below(slot + 10);
    if (chance(12)) segs[d] = (uint16_t)rnd();
    memset(addrs + d * 16, 0, 16);
    addrs[d * 16 + 15] = (uint8_t)(chance(4) ? d : 1);
  }
  if (chance(10)) elen = below(20);
  uint32_t out_len = GRO_OUT_MIN + (chance(2) ? below(3 * GRO_OUT_MIN) : 0);
  uint8_t *out = xmalloc(out_len);
  uint32_t max_rec = 1 + below(16);
  uint32_t *recs = xmalloc(max_rec * 6 * sizeof *recs);
  uint32_t cursor[4] = {0, 0, 0, 0};
  struct vxs_fuzz_value v[13];
  struct vxs_fuzz_info info = {{0}, 13};
  info.argv[0] = vxs_fuzz_bytes(&v[0], slab, (size_t)count * slot);
  info.argv[1] = vxs_fuzz_number(&v[1], slot);
  info.argv[2] = vxs_fuzz_number(&v[2], headroom);
  info.argv[3] = vxs_fuzz_u32s(&v[3], lengths, count);
  info.argv[4] = vxs_fuzz_u16s(&v[4], segs, count);
  info.argv[5] = vxs_fuzz_bytes(&v[5], addrs, (size_t)count * 16);
  info.argv[6] = vxs_fuzz_number(&v[6], count);
  info.argv[7] = vxs_fuzz_number(&v[7], elen);
  info.argv[8] = vxs_fuzz_u32s(&v[8], cursor, 4);
  info.argv[9] = vxs_fuzz_bytes(&v[9], out, out_len);
  info.argv[10] = vxs_fuzz_u32s(&v[10], recs, max_rec * 6);
  info.argv[11] = vxs_fuzz_number(&v[11], max_rec);
  // maxFrame: no limit, a 1450-byte link, or anything (oversize TCP becomes GSO frames).
  info.argv[12] = vxs_fuzz_number(&v[12], chance(3) ? 0 : chance(2) ? 1464 : below(70000));
  for (int call = 0; call < 64 && cursor[0] < count; call++) {
    env.thrown = false;
    napi_value r = fn(&env, &info);
    if (env.thrown) break;  // a RangeError for the arguments (random encapLen)
    uint32_t n = (uint32_t)vxs_fuzz_result(r);
    check(n <= max_rec, "more records than maxRecords", iter);
    for (uint32_t i = 0; i < n; i++) {
      const uint32_t *rec = recs + i * 6;
      check((uint64_t)rec[0] + rec[1] <= out_len, "record outside out", iter);
      check(rec[1] >= 10 && rec[2] < count, "record fields", iter);
    }
  }
  free(slab);
  free(lengths);
  free(segs);
  free(addrs);
  free(out);
  free(recs);
}

// vxs_csum_add/fold against RFC 1071 done the slow way, at every alignment and odd length.
static void fuzz_checksum(uint64_t iter) {
  uint32_t len = below(300), lead = below(8);
  uint8_t *buf = xmalloc(lead + len);
  random_bytes(buf, lead + len);
  const uint8_t *p = buf + lead;
  uint32_t ref = 0;
  for (uint32_t i = 0; i < len; i += 2) ref += (uint32_t)(p[i] << 8) | (i + 1 < len ? p[i + 1] : 0);
  while (ref >> 16) ref = (ref & 0xffff) + (ref >> 16);
  uint16_t got = vxs_csum_fold(vxs_csum_add(p, len, 0));
  uint8_t b[2];
  memcpy(b, &got, 2);
  check(((uint32_t)b[0] << 8 | b[1]) == ref, "checksum differs from RFC 1071", iter);
  free(buf);
}

int main(int argc, char **argv) {
  uint64_t iterations = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
  uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
  rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
  static struct vxs_fuzz_env env;
  if (!vxs_register_offload_csum(&env, NULL) || !vxs_register_tso(&env, NULL) || !vxs_register_gro(&env, NULL))
    return 2;
  uint64_t runs[5] = {0};
  for (uint64_t i = 0; i < iterations; i++) {
    uint32_t t = below(20);
    if (t < 7) fuzz_tso(i), runs[0]++;
    else if (t < 9) fuzz_tso_wrapper(i), runs[1]++;
    else if (t < 12) fuzz_vnet_finish(i), runs[2]++;
    else if (t < 17) fuzz_gro(i), runs[3]++;
    else fuzz_checksum(i), runs[4]++;
  }
  printf("offload_fuzz: %llu iterations (seed %llu): tsoSplit %llu, tsoSplit wrapper %llu, vnetFinish %llu, "
         "groCoalesce %llu, checksum %llu: all checks held\n",
         (unsigned long long)iterations, (unsigned long long)seed, (unsigned long long)runs[0],
         (unsigned long long)runs[1], (unsigned long long)runs[2], (unsigned long long)runs[3],
         (unsigned long long)runs[4]);
  return 0;
}
