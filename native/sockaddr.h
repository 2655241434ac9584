// 16-byte addresses (IPv6, or IPv4-mapped) <-> sockaddr_in / sockaddr_in6.
#ifndef VXS_SOCKADDR_H
#define VXS_SOCKADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

union vxs_sockaddr {
  struct sockaddr sa;
  struct sockaddr_in in4;
  struct sockaddr_in6 in6;
};

bool vxs_is_v4_mapped(const uint8_t *a16);
// "198.18.0.1" for a mapped address, RFC 5952 text for IPv6.
void vxs_addr16_text(const uint8_t *a16, char *buf, size_t cap);
// Fills a sockaddr of `family` (AF_INET/AF_INET6); false when the address is of the other family.
bool vxs_sockaddr_from16(const uint8_t *a16, uint16_t port, int family, union vxs_sockaddr *sa,
                         socklen_t *len);
// Writes the 16-byte form and the port of a received sockaddr.
void vxs_sockaddr_to16(const union vxs_sockaddr *sa, uint8_t *a16, uint16_t *port);

#endif
