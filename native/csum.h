// Internet checksum (RFC 1071) helpers for the offload code: unfolded sums of native-order words.
#ifndef VXS_CSUM_H
#define VXS_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// Adds buf[0, len) to an unfolded sum. The ones' complement sum does not depend on byte order
// (RFC 1071, 2.B), so words are added as they lie in memory and the folded result is stored back
// the same way. Every range but the last of a chain must start at an even offset of the covered
// data; an odd last byte is its word's first (high, in network order) byte.
static inline uint64_t vxs_csum_add(const uint8_t *p, size_t len, uint64_t sum) {
  while (len >= 32) {
    uint32_t w[8];
    memcpy(w, p, sizeof w);
    sum += (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
    p += 32;
    len -= 32;
  }
  while (len >= 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    sum += w;
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t w;
    memcpy(&w, p, 2);
    sum += w;
    p += 2;
    len -= 2;
  }
  if (len > 0) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    sum += p[0];
#else
    sum += (uint64_t)p[0] << 8;
#endif
  }
  return sum;
}

// Copies src[0, len) to dst and adds it to an unfolded sum in the same pass (the payload of a
// segment is read once, not once to copy and once more to checksum). Same rules as vxs_csum_add.
static inline uint64_t vxs_csum_copy(uint8_t *dst, const uint8_t *src, size_t len, uint64_t sum) {
  while (len >= 32) {
    uint32_t w[8];
    memcpy(w, src, sizeof w);
    memcpy(dst, w, sizeof w);
    sum += (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
    src += 32;
    dst += 32;
    len -= 32;
  }
  memcpy(dst, src, len);
  return vxs_csum_add(src, len, sum);
}

// Folds to 16 bits with end-around carry; the value is in memory (native) order.
static inline uint16_t vxs_csum_fold(uint64_t sum) {
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  return (uint16_t)sum;
}

// Stores a 16-bit value computed in memory order (a folded sum or its complement).
static inline void vxs_csum_store(uint8_t *field, uint16_t v) { memcpy(field, &v, 2); }

// Pseudo-header sum for TCP/UDP: IPv4 (src, dst, 0, proto, length) or IPv6 (src, dst,
// 32-bit length, 0, next header); l3 points at the IP header.
static inline uint64_t vxs_pseudo_sum(const uint8_t *l3, bool v6, uint8_t proto, uint32_t l4len) {
  uint64_t sum;
  if (!v6) {
    uint8_t tail[4] = {0, proto, (uint8_t)(l4len >> 8), (uint8_t)l4len};
    sum = vxs_csum_add(l3 + 12, 8, 0);
    sum = vxs_csum_add(tail, 4, sum);
  } else {
    uint8_t tail[8] = {(uint8_t)(l4len >> 24), (uint8_t)(l4len >> 16), (uint8_t)(l4len >> 8),
                       (uint8_t)l4len, 0, 0, 0, proto};
    sum = vxs_csum_add(l3 + 8, 32, 0);
    sum = vxs_csum_add(tail, 8, sum);
  }
  return sum;
}

static inline uint16_t vxs_get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t vxs_get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void vxs_put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void vxs_put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
// struct virtio_net_hdr fields are little-endian on the hosts we run on (TUNSETVNETLE default).
static inline uint16_t vxs_get16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline void vxs_put16le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

#endif
