// Socket options shared by the UDP and raw GRE sockets.
#ifndef VXS_SOCKOPT_H
#define VXS_SOCKOPT_H

#include <stdint.h>

// AF_INET / AF_INET6 of a socket (SO_DOMAIN), or -1 with errno set. Not for per-batch paths:
// those take the family from the socket's state array (see struct vxs_tx).
int vxs_socket_family(int fd);
// Grows the kernel buffers (0 = leave as is); as root past net.core.[rw]mem_max. *_set: the
// sizes the kernel reports afterwards (it doubles what it grants for bookkeeping), 0 if unknown.
void vxs_socket_buffers(int fd, uint32_t rcv, uint32_t snd, uint32_t *rcv_set, uint32_t *snd_set);

#endif
