// Raw IPPROTO_GRE sockets: the payload starts at the GRE header (the kernel adds/we strip IP).
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"
#include "args.h"
#include "batch_args.h"
#include "errors.h"
#include "mmsg.h"
#include "sockaddr.h"
#include "sockopt.h"

// greOpen(family, addr16, { rcvBuf, sndBuf }?) -> { fd, rcvBuf, sndBuf } (sizes the kernel set)
static napi_value gre_open(napi_env env, napi_callback_info info) {
  napi_value argv[3], obj;
  uint32_t family, rcvbuf, sndbuf;
  const uint8_t *addr;
  union vxs_sockaddr sa;
  socklen_t salen;
  char text[64];
  if (!vxs_args_upto(env, info, 2, 3, argv) || !vxs_arg_u32(env, argv[0], "family", &family) ||
      !vxs_arg_addr16(env, argv[1], "addr16", &addr) ||
      !vxs_opt_u32(env, argv[2], "rcvBuf", 0, &rcvbuf) ||
      !vxs_opt_u32(env, argv[2], "sndBuf", 0, &sndbuf))
    return NULL;
  if (family != 4 && family != 6) {
    vxs_throw_range(env, "family must be 4 or 6, got %u", family);
    return NULL;
  }
  int af = family == 4 ? AF_INET : AF_INET6;
  vxs_addr16_text(addr, text, sizeof text);
  if (!vxs_sockaddr_from16(addr, 0, af, &sa, &salen)) {
    vxs_throw_range(env, "local address %s is not an IPv%u address", text, family);
    return NULL;
  }
  int fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_GRE);
  if (fd < 0) {
    int err = errno;
    const char *hint = err == EPERM || err == EACCES ? VXS_HINT_RAW
                     : err == EAFNOSUPPORT ? "IPv6 is disabled in this kernel or namespace"
                                           : NULL;
    vxs_throw_errno(env, err, "socket", hint, "cannot open a raw GRE socket on %s", text);
    return NULL;
  }
  uint32_t rcv_set, snd_set;
  vxs_socket_buffers(fd, rcvbuf, sndbuf, &rcv_set, &snd_set);
  // Binding a raw socket filters received packets by destination and fixes the source.
  if (bind(fd, &sa.sa, salen) < 0) {
    int err = errno;
    close(fd);
    vxs_throw_errno(env, err, "bind", NULL, "cannot open a raw GRE socket on %s", text);
    return NULL;
  }
  if (napi_create_object(env, &obj) != napi_ok || !vxs_set_i32(env, obj, "fd", fd) ||
      !vxs_set_double(env, obj, "rcvBuf", rcv_set) || !vxs_set_double(env, obj, "sndBuf", snd_set)) {
    close(fd);
    return NULL;
  }
  return obj;
}

// greRecv(fd, slab, slotSize, headroom, lengths, srcAddrs, max, sockState) -> count
static napi_value gre_recv(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  struct vxs_rx rx;
  struct vxs_batch_lens n;
  int32_t *state;
  memset(&rx, 0, sizeof rx);
  if (!vxs_args(env, info, 8, argv) || !vxs_rx_args(env, argv, &rx, &n) ||
      !vxs_arg_u32(env, argv[6], "max", &rx.max) || !vxs_sock_state_arg(env, argv[7], &state) ||
      !vxs_check_slots(env, n.slab, rx.slot, rx.headroom, rx.max, n.lengths))
    return NULL;
  if (n.addrs < (size_t)rx.max * 16) {
    vxs_throw_range(env, "srcAddrs holds fewer than max (%u) addresses", rx.max);
    return NULL;
  }
  // IPv4 raw sockets deliver the IP header, IPv6 raw sockets do not.
  rx.strip_ipv4 = state[0] == 4;
  return vxs_rx_run(env, &rx, "GRE");
}

// greSend(fd, slab, offsets, lengths, dstAddrs, count, sockState, status) -> packets sent
static napi_value gre_send(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  struct vxs_tx tx;
  struct vxs_batch_lens n;
  memset(&tx, 0, sizeof tx);
  if (!vxs_args(env, info, 8, argv) || !vxs_tx_args(env, argv, &tx, &n) ||
      !vxs_arg_u32(env, argv[5], "count", &tx.count) ||
      !vxs_tx_tail_args(env, argv[6], argv[7], &tx))
    return NULL;
  if (n.offsets < tx.count || n.lengths < tx.count || n.addrs < (size_t)tx.count * 16) {
    vxs_throw_range(env, "offsets, lengths or dstAddrs hold fewer than count (%u) entries", tx.count);
    return NULL;
  }
  return vxs_tx_run(env, &tx, n.slab, "GRE");
}

bool vxs_register_gre(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "greOpen", gre_open) &&
         vxs_export(env, exports, "greRecv", gre_recv) &&
         vxs_export(env, exports, "greSend", gre_send);
}
