// Socket options shared by the UDP and raw GRE sockets.
#include "sockopt.h"

#include <sys/socket.h>

// Asks the kernel: a cache keyed by fd number would outlive a close and answer for whatever
// reuses the number. The send path takes the family from the socket's JS object instead.
int vxs_socket_family(int fd) {
  int family;
  socklen_t len = sizeof family;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0) return -1;
  return family;
}

// Asks for `bytes` (FORCE needs CAP_NET_ADMIN; the plain option is capped by net.core.[rw]mem_max)
// and returns what the kernel set, which may be less: the caller reports it rather than assume.
static uint32_t grow(int fd, int force_opt, int opt, uint32_t bytes) {
  if (bytes > 0) {
    int v = bytes > 0x7fffffff ? 0x7fffffff : (int)bytes;
    if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof v) < 0)
      (void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);  // capped, never refused: read back below
  }
  int got = 0;
  socklen_t len = sizeof got;
  if (getsockopt(fd, SOL_SOCKET, opt, &got, &len) < 0 || got < 0) return 0;
  return (uint32_t)got;
}

void vxs_socket_buffers(int fd, uint32_t rcv, uint32_t snd, uint32_t *rcv_set, uint32_t *snd_set) {
  *rcv_set = grow(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcv);
  *snd_set = grow(fd, SO_SNDBUFFORCE, SO_SNDBUF, snd);
}
