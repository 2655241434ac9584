// TAP offloads in software, checksums: finishing the partial checksums (VIRTIO_NET_HDR_F_NEEDS_CSUM)
// of frames read from a TAP (vnetFinishBatch), and recognising the partial checksums a same-host
// sender's CHECKSUM_PARTIAL leaves in tunnelled frames (used by the GRO coalescer).
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "addon.h"
#include "args.h"
#include "counters.h"
#include "offload.h"
#include "offload_frame.h"

// ---------------------------------------------------------------------------------------------
// Partial checksums arriving from a tunnel (CHECKSUM_PARTIAL left unfinished by a same-host sender)

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
  for (int hops = 0; hops < VXS_IPV6_MAX_EXT && (nh == IPV6_HOP_BY_HOP || nh == IPV6_ROUTING || nh == IPV6_DEST_OPTS); hops++) {
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
bool vxs_l4_partial(const uint8_t *f, uint32_t len, uint32_t *start, uint32_t *field) {
  uint16_t et = 0;
  int l3 = vxs_find_l3(f, len, &et);
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
void vxs_vnet_needs_csum(uint8_t *vh, uint32_t start, uint32_t field) {
  vh[0] = VNET_F_NEEDS_CSUM;
  vxs_put16le(vh + 6, start);
  vxs_put16le(vh + 8, field);
}

// ---------------------------------------------------------------------------------------------
// Partial checksums of frames read from a TAP (VIRTIO_NET_HDR_F_NEEDS_CSUM without GSO)

// Folds everything from csum_start to the end into the field at csum_start + csum_offset, which
// holds the pseudo-header sum, like the kernel's skb_checksum_help. False if the offsets are bad.
static bool finish_partial(uint8_t *f, uint32_t len, uint32_t start, uint32_t offset) {
  if ((uint64_t)start + offset + 2 > len) return false;
  uint16_t c = (uint16_t)~vxs_csum_fold(vxs_csum_add(f + start, len - start, 0));
  vxs_csum_store(f + start + offset, c == 0 ? 0xffff : c);
  return true;
}

enum vxs_vnet_finish vxs_vnet_finish(uint8_t *vh, uint32_t len) {
  if (len < VXS_VNET_HDR_LEN) return VXS_VNET_UNTOUCHED;
  if (!(vh[0] & VNET_F_NEEDS_CSUM) || (vh[1] & ~GSO_ECN) != GSO_NONE) return VXS_VNET_UNTOUCHED;
  if (!finish_partial(vh + VXS_VNET_HDR_LEN, len - VXS_VNET_HDR_LEN, vxs_get16le(vh + 6), vxs_get16le(vh + 8)))
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

bool vxs_register_offload_csum(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "vnetFinishBatch", vnet_finish_batch);
}
