// Socket options shared by the UDP and raw GRE sockets.
#include "sockopt.h"

#include <sys/socket.h>

// Families of the addon's own sockets by fd number (0 = unknown); fds past the table ask the kernel.
#define FAMILY_CACHE 4096
static uint8_t families[FAMILY_CACHE];

void vxs_remember_family(int fd, int family) {
  if (fd >= 0 && fd < FAMILY_CACHE) __atomic_store_n(&families[fd], (uint8_t)family, __ATOMIC_RELAXED);
}

void vxs_forget_family(int fd) { vxs_remember_family(fd, 0); }

int vxs_socket_family(int fd) {
  if (fd >= 0 && fd < FAMILY_CACHE) {
    int known = __atomic_load_n(&families[fd], __ATOMIC_RELAXED);
    if (known != 0) return known;
  }
  int family;
  socklen_t len = sizeof family;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0) return -1;
  return family;
}

static void grow(int fd, int force_opt, int opt, uint32_t bytes) {
  if (bytes == 0) return;
  int v = bytes > 0x7fffffff ? 0x7fffffff : (int)bytes;
  // The FORCE variant needs CAP_NET_ADMIN; the plain one is capped by the sysctl maximum.
  if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof v) < 0)
    setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);
}

void vxs_socket_buffers(int fd, uint32_t rcv, uint32_t snd) {
  grow(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcv);
  grow(fd, SO_SNDBUFFORCE, SO_SNDBUF, snd);
}
