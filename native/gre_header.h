// The GRE header (RFC 2784/2890) as the offload and crypto passes read it: the flag bits of its
// first byte and its length from them. src/wire/gre.ts is the TypeScript side.
#ifndef VXS_GRE_HEADER_H
#define VXS_GRE_HEADER_H

#include <stdint.h>

#define GRE_F_C 0x80
#define GRE_F_R 0x40
#define GRE_F_K 0x20
#define GRE_F_S 0x10

// A GRE header's length from its flags: 4 bytes + 4 for each of C, K, S.
static inline uint32_t vxs_gre_header_len(const uint8_t *g) {
  return 4u + ((g[0] & GRE_F_C) ? 4u : 0u) + ((g[0] & GRE_F_K) ? 4u : 0u) + ((g[0] & GRE_F_S) ? 4u : 0u);
}

#endif
