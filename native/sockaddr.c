// 16-byte addresses (IPv6, or IPv4-mapped) <-> sockaddr_in / sockaddr_in6.
#include "sockaddr.h"

#include <arpa/inet.h>
#include <string.h>

static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool vxs_is_v4_mapped(const uint8_t *a16) { return memcmp(a16, mapped_prefix, 12) == 0; }

void vxs_addr16_text(const uint8_t *a16, char *buf, size_t cap) {
  if (vxs_is_v4_mapped(a16)) inet_ntop(AF_INET, a16 + 12, buf, (socklen_t)cap);
  else inet_ntop(AF_INET6, a16, buf, (socklen_t)cap);
}

bool vxs_sockaddr_from16(const uint8_t *a16, uint16_t port, int family, union vxs_sockaddr *sa,
                         socklen_t *len) {
  if (family == AF_INET) {
    if (!vxs_is_v4_mapped(a16)) return false;
    memset(&sa->in4, 0, sizeof sa->in4);
    sa->in4.sin_family = AF_INET;
    sa->in4.sin_port = htons(port);
    memcpy(&sa->in4.sin_addr, a16 + 12, 4);
    *len = sizeof sa->in4;
    return true;
  }
  if (vxs_is_v4_mapped(a16)) return false;
  memset(&sa->in6, 0, sizeof sa->in6);
  sa->in6.sin6_family = AF_INET6;
  sa->in6.sin6_port = htons(port);
  memcpy(&sa->in6.sin6_addr, a16, 16);
  *len = sizeof sa->in6;
  return true;
}

void vxs_sockaddr_to16(const union vxs_sockaddr *sa, uint8_t *a16, uint16_t *port) {
  if (sa->sa.sa_family == AF_INET) {
    memcpy(a16, mapped_prefix, 12);
    memcpy(a16 + 12, &sa->in4.sin_addr, 4);
    if (port) *port = ntohs(sa->in4.sin_port);
  } else if (sa->sa.sa_family == AF_INET6) {
    memcpy(a16, &sa->in6.sin6_addr, 16);
    // Raw IPv6 sockets put the protocol number in sin6_port; callers pass NULL there.
    if (port) *port = ntohs(sa->in6.sin6_port);
  } else {
    memset(a16, 0, 16);
    if (port) *port = 0;
  }
}
