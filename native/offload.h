// The byte-crunching of the TAP offloads (offload_csum.c, offload_tso.c) without Node-API: callable from the addon's wrappers and
// from the fuzz harness (native/fuzz/) alike.
#ifndef VXS_OFFLOAD_H
#define VXS_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "abi.h"

// VXS_TSO_MIN_MSS, the smallest TCP segment size a super-frame may ask for: abi.h.
// Most segments a UDP (USO) super-frame may hold: a sender's UDP_SEGMENT send carries at most
// UDP_MAX_SEGMENTS (64, 128 since Linux 6.9) datagrams.
#define VXS_USO_MAX_SEGS 128
// IPv6 extension headers walked before the transport header of a super-frame.
#define VXS_IPV6_MAX_EXT 8

enum vxs_vnet_finish {
  VXS_VNET_UNTOUCHED = 0,  // no NEEDS_CSUM, or GSO (the split finishes it)
  VXS_VNET_FINISHED = 1,   // the checksum was completed and NEEDS_CSUM cleared
  VXS_VNET_BAD = -1,       // NEEDS_CSUM with offsets outside the frame: cannot be finished
};

// Completes the partial checksum of one non-GSO frame of len bytes behind its virtio-net header vh.
enum vxs_vnet_finish vxs_vnet_finish(uint8_t *vh, uint32_t len);

// Splits the super-frame f[0, len) (virtio-net header vh in front) into encapsulated segments in
// dst[dst_off, dst_end), `trailer` free bytes after each segment (room for an AEAD tag, part of its
// length); see tsoSplit in offload_tso.c. Returns messages (> 0), 0 when dst is too small, -1 for a
// malformed super-frame, -2 when out (nout numbers) is too short. dst must not overlap vh or f
// (the caller checks).
int vxs_tso_split(const uint8_t *vh, const uint8_t *f, uint32_t len, uint8_t *dst, uint32_t dst_off,
                  uint32_t dst_end, const uint8_t *encap, uint32_t elen, uint32_t trailer, uint32_t max_msg,
                  uint32_t *out, size_t nout);

#endif
