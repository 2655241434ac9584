// What the offload files (offload_csum.c, offload_tso.c, offload_gro.c) share: the protocol
// numbers they read frames by and the header walk from Ethernet to the transport header.
#ifndef VXS_OFFLOAD_FRAME_H
#define VXS_OFFLOAD_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "abi.h"
#include "csum.h"

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

// IPv6 extension headers the offloads walk past (RFC 8200).
#define IPV6_HOP_BY_HOP 0
#define IPV6_ROUTING 43
#define IPV6_DEST_OPTS 60

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_URG 0x20
#define TCP_CWR 0x80

// Network header offset after the Ethernet header and up to two VLAN tags; -1 if truncated.
static inline int vxs_find_l3(const uint8_t *f, uint32_t len, uint16_t *ethertype) {
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

// offload_csum.c: whether frame f[0, len) is TCP/UDP whose checksum field holds just the folded
// pseudo-header sum (a partial checksum), and where (*start: transport header, *field: the
// checksum's offset in it).
bool vxs_l4_partial(const uint8_t *f, uint32_t len, uint32_t *start, uint32_t *field);
// offload_csum.c: marks virtio-net header vh for the kernel to finish a partial checksum.
void vxs_vnet_needs_csum(uint8_t *vh, uint32_t start, uint32_t field);

#endif
