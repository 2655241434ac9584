// Node-API for encrypted tunnels: a key state per switch (an external), sealing a frame or the
// segments of a split super-frame to one peer, and opening a receive batch in place.
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"
#include "args.h"
#include "crypto.h"
#include "csum.h"
#include "errors.h"
#include "gre_header.h"

// VXLAN's I flag (a valid VNI), set again on a packet once opened.
#define VXLAN_FLAG_I 0x08

static const napi_type_tag crypto_tag = {0x7678737763727970ull, 0x746f73746174653full};

static void finalize(napi_env env, void *data, void *hint) {
  vxs_crypto_free(data);
  free(data);
}

static struct vxs_crypto *state_arg(napi_env env, napi_value v) {
  bool ok = false;
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) == napi_ok && t == napi_external) napi_check_object_type_tag(env, v, &crypto_tag, &ok);
  if (!ok || napi_get_value_external(env, v, &data) != napi_ok) {
    vxs_throw_type(env, "state must be a value returned by cryptoCreate");
    return NULL;
  }
  return data;
}

// cryptoCreate(cipher 1|2, psk, local16, rotateSeconds, rotatePackets, firstEpoch) -> state
static napi_value crypto_create(napi_env env, napi_callback_info info) {
  napi_value argv[6], ext;
  uint8_t *psk;
  const uint8_t *local;
  size_t psk_len;
  uint32_t cipher, secs, packets, epoch;
  if (!vxs_args(env, info, 6, argv) || !vxs_arg_u32(env, argv[0], "cipher", &cipher) ||
      !vxs_arg_bytes(env, argv[1], "psk", &psk, &psk_len) || !vxs_arg_addr16(env, argv[2], "local", &local) ||
      !vxs_arg_u32(env, argv[3], "rotateSeconds", &secs) || !vxs_arg_u32(env, argv[4], "rotatePackets", &packets) ||
      !vxs_arg_u32(env, argv[5], "firstEpoch", &epoch))
    return NULL;
  if (psk_len < 32 || secs == 0 || packets == 0 || epoch == 0) {
    vxs_throw_range(env, "psk must be 32 bytes or more (got %zu), rotateSeconds, rotatePackets and firstEpoch above 0", psk_len);
    return NULL;
  }
  struct vxs_crypto *c = malloc(sizeof *c);
  if (c == NULL || !vxs_crypto_init(c, (int)cipher, psk, psk_len, local, (uint64_t)secs * 1000000000u, packets, epoch)) {
    free(c);
    vxs_throw_range(env, "cannot set up cipher %u (1: chacha20-poly1305, 2: aes-256-gcm)", cipher);
    return NULL;
  }
  if (napi_create_external(env, c, finalize, NULL, &ext) != napi_ok) {
    vxs_crypto_free(c);
    free(c);
    return NULL;
  }
  napi_type_tag_object(env, ext, &crypto_tag);
  return ext;
}

// cryptoPeerAdd(state, slot, addr16): fresh keys for a peer (its tx key made on first use).
static napi_value crypto_peer_add(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint32_t slot;
  const uint8_t *addr;
  struct vxs_crypto *c;
  if (!vxs_args(env, info, 3, argv) || (c = state_arg(env, argv[0])) == NULL ||
      !vxs_arg_u32(env, argv[1], "slot", &slot) || !vxs_arg_addr16(env, argv[2], "addr", &addr))
    return NULL;
  if (slot > 1u << 20 || !vxs_crypto_peer_add(c, slot, addr)) {
    vxs_throw_range(env, "cannot add crypto peer slot %u", slot);
    return NULL;
  }
  return vxs_undefined(env);
}

static napi_value crypto_peer_remove(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint32_t slot;
  struct vxs_crypto *c;
  if (!vxs_args(env, info, 2, argv) || (c = state_arg(env, argv[0])) == NULL || !vxs_arg_u32(env, argv[1], "slot", &slot))
    return NULL;
  vxs_crypto_peer_remove(c, slot);
  return vxs_undefined(env);
}

// cryptoSeal(state, slot, buf, off, hl, total) -> bool: one packet at buf[off, off + total).
static napi_value crypto_seal(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  uint8_t *buf;
  size_t len;
  int32_t slot;
  uint32_t off, hl, total;
  struct vxs_crypto *c;
  if (!vxs_args(env, info, 6, argv) || (c = state_arg(env, argv[0])) == NULL ||
      !vxs_arg_i32(env, argv[1], "slot", &slot) || !vxs_arg_bytes(env, argv[2], "buf", &buf, &len) ||
      !vxs_arg_u32(env, argv[3], "off", &off) || !vxs_arg_u32(env, argv[4], "hl", &hl) ||
      !vxs_arg_u32(env, argv[5], "total", &total))
    return NULL;
  if ((uint64_t)off + total > len) {
    vxs_throw_range(env, "packet (offset %u, length %u) lies outside the %zu-byte buffer", off, total, len);
    return NULL;
  }
  struct vxs_crypto_peer *peer = vxs_crypto_peer(c, slot);
  return vxs_bool(env, peer != NULL && vxs_seal(c, peer, buf + off, hl, total, vxs_now_ns()));
}

// cryptoSealSplit(state, slot, buf, messages, count, hl) -> bool: every segment of tsoSplit's
// messages (offset, length, segment size; 0: one segment), each with its tag room at the end.
static napi_value crypto_seal_split(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  uint8_t *buf;
  size_t len, nmsg;
  int32_t slot;
  uint32_t *msgs, count, hl;
  struct vxs_crypto *c;
  if (!vxs_args(env, info, 6, argv) || (c = state_arg(env, argv[0])) == NULL ||
      !vxs_arg_i32(env, argv[1], "slot", &slot) || !vxs_arg_bytes(env, argv[2], "buf", &buf, &len) ||
      !vxs_arg_u32s(env, argv[3], "messages", &msgs, &nmsg) || !vxs_arg_u32(env, argv[4], "count", &count) ||
      !vxs_arg_u32(env, argv[5], "hl", &hl))
    return NULL;
  if ((size_t)count * 3 > nmsg) {
    vxs_throw_range(env, "messages holds fewer than %u records", count);
    return NULL;
  }
  struct vxs_crypto_peer *peer = vxs_crypto_peer(c, slot);
  if (peer == NULL) return vxs_bool(env, false);
  uint64_t now = vxs_now_ns();
  for (uint32_t m = 0; m < count; m++) {
    uint32_t start = msgs[3 * m], mlen = msgs[3 * m + 1], seg = msgs[3 * m + 2] ? msgs[3 * m + 2] : mlen;
    if ((uint64_t)start + mlen > len || seg == 0) {
      vxs_throw_range(env, "message %u (offset %u, length %u) lies outside the buffer", m, start, mlen);
      return NULL;
    }
    for (uint32_t o = 0; o < mlen; o += seg) {
      uint32_t plen = mlen - o < seg ? mlen - o : seg;
      if (!vxs_seal(c, peer, buf + start + o, hl, plen, now)) return vxs_bool(env, false);
    }
  }
  return vxs_bool(env, true);
}

// Whether pkt is sealed; *hl: its tunnel header's length. (VXLAN: the E flag; GRE: the protocol.)
static bool sealed(int kind, const uint8_t *pkt, uint32_t plen, uint32_t *hl) {
  if (kind == VXS_KIND_VXLAN) {
    *hl = 8;
    return plen >= 1 && (pkt[0] & VXS_VXLAN_FLAGS_SEALED);
  }
  if (plen < 4) return false;
  *hl = vxs_gre_header_len(pkt);
  return vxs_get16(pkt + 2) == VXS_GRE_PROTO_SEALED;
}

// Opens the sealed packets of one datagram (UDP_GRO: several of seg bytes) and packs what
// verified back to back as [tunnel header][plaintext], so the coalescer and the loop read clear
// packets with a uniform stride. A datagram whose first packet is clear is left as it is.
static void open_datagram(struct vxs_crypto *c, struct vxs_crypto_peer *peer, int kind, uint8_t *base,
                          uint32_t *length, uint16_t *seg_size, uint64_t now, double *counters) {
  uint32_t total = *length, seg = *seg_size ? *seg_size : total, hl = 0, w = 0, kept = 0;
  if (!sealed(kind, base, total < seg ? total : seg, &hl)) return;
  for (uint32_t o = 0; o < total; o += seg) {
    uint32_t plen = total - o < seg ? total - o : seg;
    uint8_t *pkt = base + o;
    enum vxs_open_result r;
    if (!sealed(kind, pkt, plen, &hl) || (kind == VXS_KIND_VXLAN && pkt[0] != VXS_VXLAN_FLAGS_SEALED)) r = VXS_OPEN_AUTH;
    else r = vxs_open(c, peer, pkt, hl, plen, now);
    counters[r]++;
    if (r != VXS_OPENED) continue;
    // VXLAN: I set beside E says "opened here" (a clear packet claiming E never gets this far).
    if (kind == VXS_KIND_VXLAN) pkt[0] = VXS_VXLAN_FLAGS_SEALED | VXLAN_FLAG_I;
    uint32_t tlen = plen - hl - VXS_CRYPTO_OVERHEAD;
    memmove(base + w, pkt, hl);
    memmove(base + w + hl, pkt + hl + VXS_CRYPTO_HDR, tlen);
    w += hl + tlen;
    kept++;
  }
  *length = w;
  *seg_size = kept > 1 ? (uint16_t)(seg - VXS_CRYPTO_OVERHEAD) : 0;
}

// cryptoOpenBatch(state, slab, slotSize, headroom, lengths, segSizes, slots, count, kind, counters)
// counters[vxs_open_result] += packets; datagrams of unknown peers (slot -1) are left alone.
static napi_value crypto_open_batch(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  uint8_t *slab;
  uint16_t *segs;
  uint32_t *lengths, slot, headroom, count, kind;
  int32_t *slots;
  double *counters;
  size_t slab_len, nlengths, nsegs, nslots, ncounters;
  struct vxs_crypto *c;
  if (!vxs_args(env, info, 10, argv) || (c = state_arg(env, argv[0])) == NULL ||
      !vxs_arg_bytes(env, argv[1], "slab", &slab, &slab_len) || !vxs_arg_u32(env, argv[2], "slotSize", &slot) ||
      !vxs_arg_u32(env, argv[3], "headroom", &headroom) || !vxs_arg_u32s(env, argv[4], "lengths", &lengths, &nlengths) ||
      !vxs_arg_u16s(env, argv[5], "segSizes", &segs, &nsegs) || !vxs_arg_i32s(env, argv[6], "slots", &slots, &nslots) ||
      !vxs_arg_u32(env, argv[7], "count", &count) || !vxs_arg_u32(env, argv[8], "kind", &kind) ||
      !vxs_arg_f64s(env, argv[9], "counters", &counters, &ncounters) ||
      !vxs_check_slots(env, slab_len, slot, headroom, count, nlengths))
    return NULL;
  if (nsegs < count || nslots < count || ncounters < VXS_OPEN_RESULTS || kind > VXS_KIND_GRE) {
    vxs_throw_range(env, "segSizes/slots shorter than count (%u), counters shorter than %d, or kind %u not 0/1",
                    count, VXS_OPEN_RESULTS, kind);
    return NULL;
  }
  uint64_t now = vxs_now_ns();
  for (uint32_t d = 0; d < count; d++) {
    struct vxs_crypto_peer *peer = vxs_crypto_peer(c, slots[d]);
    if (peer == NULL || lengths[d] > slot - headroom) continue;
    open_datagram(c, peer, (int)kind, slab + (size_t)d * slot + headroom, &lengths[d], &segs[d], now, counters);
  }
  return vxs_undefined(env);
}

// cryptoCounters(state) -> { txRotations, rxRotations, derivations }
static napi_value crypto_counters(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj;
  struct vxs_crypto *c;
  if (!vxs_args(env, info, 1, argv) || (c = state_arg(env, argv[0])) == NULL) return NULL;
  if (napi_create_object(env, &obj) != napi_ok || !vxs_set_double(env, obj, "txRotations", c->tx_rotations) ||
      !vxs_set_double(env, obj, "rxRotations", c->rx_rotations) ||
      !vxs_set_double(env, obj, "derivations", c->derivations))
    return NULL;
  return obj;
}

bool vxs_register_crypto(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "cryptoCreate", crypto_create) &&
         vxs_export(env, exports, "cryptoPeerAdd", crypto_peer_add) &&
         vxs_export(env, exports, "cryptoPeerRemove", crypto_peer_remove) &&
         vxs_export(env, exports, "cryptoSeal", crypto_seal) &&
         vxs_export(env, exports, "cryptoSealSplit", crypto_seal_split) &&
         vxs_export(env, exports, "cryptoOpenBatch", crypto_open_batch) &&
         vxs_export(env, exports, "cryptoCounters", crypto_counters);
}
