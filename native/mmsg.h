// Batched datagram I/O shared by UDP and raw GRE sockets: recvmmsg/sendmmsg over a slab.
#ifndef VXS_MMSG_H
#define VXS_MMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"

// How many messages one recvmmsg/sendmmsg call carries (stack arrays, no allocation).
#define VXS_MMSG_CHUNK 64

struct vxs_rx {
  int fd;
  bool strip_ipv4;  // raw IPv4 sockets deliver the IP header: drop it (by its IHL)
  uint8_t *slab;
  uint32_t slot, headroom, max;
  uint32_t *lengths;
  uint8_t *src_addrs;   // 16 bytes per message
  uint16_t *src_ports;  // NULL: not wanted (raw sockets)
  uint16_t *seg_sizes;  // NULL: no UDP_GRO control messages expected
};

struct vxs_tx {
  int fd;
  int family;  // AF_INET / AF_INET6: destinations of the other family are counted and skipped
  uint8_t *slab;
  const uint32_t *offsets, *lengths;
  const uint8_t *dst_addrs;
  const uint16_t *dst_ports;  // NULL for raw sockets
  const uint16_t *seg_sizes;  // NULL: no UDP_SEGMENT
  uint32_t count;
  // The socket's own state, kept by its JS object (never keyed by fd number, which is reused):
  // [0] family 4 or 6, [1] 1 while UDP_SEGMENT is on. Set to 0 here after the kernel refuses it.
  int32_t *sock_state;
  uint8_t *status;  // per message: VXS_TX_SENT, VXS_TX_FAILED (counted), VXS_TX_UNSENT (transient)
};

// VXS_TX_SENT / VXS_TX_FAILED / VXS_TX_UNSENT and VXS_SOCK_STATE_LEN: abi.h.

// Returns datagrams received (0 when none are ready) or -1 with errno set for a fatal error
// (bad fd); other receive errors are counted.
int vxs_recv_batch(const struct vxs_rx *rx);
// Returns messages sent (a GSO train counts as one) or -1 with errno set for a fatal error
// (bad fd); transient errors stop early, per-message errors are counted and skipped. status[i]
// says which: the caller attributes failures to their destination.
int vxs_send_batch(const struct vxs_tx *tx);

#endif
