// Batched datagram I/O shared by UDP and raw GRE sockets: recvmmsg/sendmmsg over a slab.
#include "mmsg.h"

#include <errno.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>

#include "counters.h"
#include "sockaddr.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

#define IPV4_MIN_HEADER 20

union gro_cmsg {
  char buf[CMSG_SPACE(sizeof(int))];
  struct cmsghdr align;
};

union gso_cmsg {
  char buf[CMSG_SPACE(sizeof(uint16_t))];
  struct cmsghdr align;
};

static bool fatal(int err) { return err == EBADF || err == ENOTSOCK || err == EFAULT; }

static uint16_t gro_size(struct msghdr *m) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
    // A short control message (a kernel or LSM that trims it) must not make us read past it.
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int v;
      memcpy(&v, CMSG_DATA(c), sizeof v);
      return (uint16_t)v;
    }
  }
  return 0;
}

// Where the kernel writes message i: for raw IPv4, 20 bytes early so that an option-less
// IP header ends exactly at the headroom and the GRE header lands in place.
static uint32_t recv_start(const struct vxs_rx *rx) {
  if (rx->strip_ipv4 && rx->headroom >= IPV4_MIN_HEADER) return rx->headroom - IPV4_MIN_HEADER;
  return rx->strip_ipv4 ? 0 : rx->headroom;
}

int vxs_recv_batch(const struct vxs_rx *rx) {
  struct mmsghdr msgs[VXS_MMSG_CHUNK];
  struct iovec iov[VXS_MMSG_CHUNK];
  union vxs_sockaddr names[VXS_MMSG_CHUNK];
  union gro_cmsg ctl[VXS_MMSG_CHUNK];
  const uint32_t start = recv_start(rx);
  uint32_t out = 0;  // messages kept (compacted); slot `out` is where the next one goes

  while (out < rx->max) {
    uint32_t k = rx->max - out;
    if (k > VXS_MMSG_CHUNK) k = VXS_MMSG_CHUNK;
    for (uint32_t j = 0; j < k; j++) {
      iov[j].iov_base = rx->slab + (size_t)(out + j) * rx->slot + start;
      iov[j].iov_len = rx->slot - start;
      struct msghdr *m = &msgs[j].msg_hdr;
      m->msg_name = &names[j];
      m->msg_namelen = sizeof names[j];
      m->msg_iov = &iov[j];
      m->msg_iovlen = 1;
      m->msg_control = rx->seg_sizes ? ctl[j].buf : NULL;
      m->msg_controllen = rx->seg_sizes ? sizeof ctl[j].buf : 0;
      m->msg_flags = 0;
      msgs[j].msg_len = 0;
    }
    int r = recvmmsg(rx->fd, msgs, k, MSG_DONTWAIT, NULL);
    if (r < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN) break;
      if (fatal(err)) {
        errno = err;
        return -1;
      }
      // A pending socket error (e.g. a late ICMP report) is not worth stopping the dataplane.
      vxs_count_error(VXS_RECV_ERRORS, err, "recvmmsg");
      break;
    }
    for (uint32_t j = 0; j < (uint32_t)r; j++) {
      struct msghdr *m = &msgs[j].msg_hdr;
      uint8_t *got = iov[j].iov_base;
      uint32_t len = msgs[j].msg_len;
      if (m->msg_flags & MSG_TRUNC) {
        vxs_count(VXS_TRUNCATED, 1);
        continue;
      }
      if (rx->strip_ipv4) {
        uint32_t ihl = (uint32_t)(got[0] & 0x0f) * 4;
        if (len < IPV4_MIN_HEADER || (got[0] >> 4) != 4 || ihl < IPV4_MIN_HEADER || ihl > len) {
          vxs_count(VXS_MALFORMED, 1);
          continue;
        }
        got += ihl;
        len -= ihl;
      }
      uint8_t *dst = rx->slab + (size_t)out * rx->slot + rx->headroom;
      // Only IP options or an earlier dropped message move data; the common case is in place.
      if (got != dst) memmove(dst, got, len);
      rx->lengths[out] = len;
      vxs_sockaddr_to16(&names[j], rx->src_addrs + (size_t)out * 16,
                        rx->src_ports ? &rx->src_ports[out] : NULL);
      if (rx->seg_sizes) rx->seg_sizes[out] = gro_size(m);
      out++;
    }
    if ((uint32_t)r < k) break;  // drained
  }
  return (int)out;
}

// Sends message i of a GSO train segment by segment (iovecs into the slab, no copy), for a
// kernel or device that refused UDP_SEGMENT. True when every segment went out.
static bool send_split(const struct vxs_tx *tx, uint32_t i, const union vxs_sockaddr *to,
                       socklen_t tolen) {
  struct mmsghdr msgs[VXS_MMSG_CHUNK];
  struct iovec iov[VXS_MMSG_CHUNK];
  const uint32_t seg = tx->seg_sizes[i], len = tx->lengths[i];
  uint32_t pos = 0;
  while (pos < len) {
    uint32_t k = 0;
    for (uint32_t p = pos; p < len && k < VXS_MMSG_CHUNK; p += seg, k++) {
      iov[k].iov_base = tx->slab + tx->offsets[i] + p;
      iov[k].iov_len = len - p < seg ? len - p : seg;
      memset(&msgs[k], 0, sizeof msgs[k]);
      msgs[k].msg_hdr.msg_name = (void *)to;
      msgs[k].msg_hdr.msg_namelen = tolen;
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(tx->fd, msgs, k, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = EAGAIN;  // nothing sent, and sendmmsg set no errno
      return false;
    }
    for (int j = 0; j < r; j++) pos += (uint32_t)iov[j].iov_len;
  }
  return true;
}

int vxs_send_batch(const struct vxs_tx *tx) {
  struct mmsghdr msgs[VXS_MMSG_CHUNK];
  struct iovec iov[VXS_MMSG_CHUNK];
  union vxs_sockaddr names[VXS_MMSG_CHUNK];
  socklen_t namelens[VXS_MMSG_CHUNK];
  union gso_cmsg ctl[VXS_MMSG_CHUNK];
  uint32_t i = 0, sent = 0;
  memset(tx->status, VXS_TX_UNSENT, tx->count);

  while (i < tx->count) {
    // Build a chunk of consecutive messages, stopping before one with a wrong-family address.
    uint32_t k = 0;
    while (k < VXS_MMSG_CHUNK && i + k < tx->count) {
      uint32_t m = i + k;
      uint16_t port = tx->dst_ports ? tx->dst_ports[m] : 0;
      if (!vxs_sockaddr_from16(tx->dst_addrs + (size_t)m * 16, port, tx->family, &names[k],
                               &namelens[k]))
        break;
      iov[k].iov_base = tx->slab + tx->offsets[m];
      iov[k].iov_len = tx->lengths[m];
      struct msghdr *h = &msgs[k].msg_hdr;
      memset(&msgs[k], 0, sizeof msgs[k]);
      h->msg_name = &names[k];
      h->msg_namelen = namelens[k];
      h->msg_iov = &iov[k];
      h->msg_iovlen = 1;
      uint16_t seg = tx->seg_sizes ? tx->seg_sizes[m] : 0;
      bool train = seg > 0 && tx->lengths[m] > seg;
      if (train && tx->sock_state[1] == 0) {
        // GSO is off on this socket (switched off below); a train queued before that goes
        // out segment by segment on its own, ending the chunk.
        if (k > 0) break;
        if (send_split(tx, m, &names[0], namelens[0])) {
          tx->status[m] = VXS_TX_SENT;
          sent++;
        } else {
          tx->status[m] = VXS_TX_FAILED;
          vxs_count_error(VXS_SEND_ERRORS, errno, "sendmmsg");
        }
        i++;
        continue;
      }
      if (train) {
        memset(&ctl[k], 0, sizeof ctl[k]);
        h->msg_control = ctl[k].buf;
        h->msg_controllen = sizeof ctl[k].buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        memcpy(CMSG_DATA(c), &seg, sizeof seg);
      }
      k++;
    }
    if (k == 0) {
      if (i >= tx->count) break;  // the last messages went out split, above
      tx->status[i] = VXS_TX_FAILED;
      vxs_count_error(VXS_SEND_ERRORS, EAFNOSUPPORT, "sendmmsg");
      i++;
      continue;
    }
    int r = sendmmsg(tx->fd, msgs, k, MSG_DONTWAIT);
    if (r > 0) {
      memset(tx->status + i, VXS_TX_SENT, (size_t)r);
      sent += (uint32_t)r;
      i += (uint32_t)r;
      continue;  // if r < k, the next call reports the error of message i
    }
    // sendmmsg returning 0 sets no errno: whatever errno holds is left from an earlier call.
    if (r == 0) break;
    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == ENOBUFS) break;  // the caller counts the rest as dropped
    if (fatal(err)) {
      errno = err;
      return -1;
    }
    bool gso = msgs[0].msg_hdr.msg_control != NULL;
    if (gso && (err == EIO || err == EINVAL)) {
      // EIO: the egress device cannot checksum a GSO train; EINVAL: too many segments or a
      // segment larger than the MTU. Segment by segment still works, and trying UDP_SEGMENT
      // again would fail again (and cost a syscall) for every train: off for this socket,
      // as wireguard-go does. The JS side reads sock_state[1] and queues plain datagrams.
      vxs_count(VXS_GSO_FALLBACKS, 1);
      if (tx->sock_state[1] != 0) {
        tx->sock_state[1] = 0;
        vxs_count(VXS_GSO_DISABLED, 1);
      }
      bool ok = send_split(tx, i, &names[0], namelens[0]);
      tx->status[i] = ok ? VXS_TX_SENT : VXS_TX_FAILED;
      if (ok) sent++;
      else vxs_count_error(VXS_SEND_ERRORS, errno, "sendmmsg");
    } else {
      tx->status[i] = VXS_TX_FAILED;
      vxs_count_error(VXS_SEND_ERRORS, err, "sendmmsg");
    }
    i++;
  }
  return (int)sent;
}
