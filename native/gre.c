// Raw IPPROTO_GRE sockets: the payload starts at the GRE header (the kernel adds/we strip IP).
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"
#include "args.h"
#include "errors.h"
#include "mmsg.h"
#include "sockaddr.h"
#include "sockopt.h"

// greOpen(family, addr16, { rcvBuf, sndBuf }?) -> { fd }
static napi_value gre_open(napi_env env, napi_callback_info info) {
  napi_value argv[3], obj;
  size_t argc = 3;
  uint32_t family, rcvbuf, sndbuf;
  const uint8_t *addr;
  union vxs_sockaddr sa;
  socklen_t salen;
  char text[64];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) {
    vxs_throw_type(env, "expected 2 arguments, got %zu", argc);
    return NULL;
  }
  if (!vxs_arg_u32(env, argv[0], "family", &family) ||
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
  vxs_remember_family(fd, af);
  vxs_socket_buffers(fd, rcvbuf, sndbuf);
  // Binding a raw socket filters received packets by destination and fixes the source.
  if (bind(fd, &sa.sa, salen) < 0) {
    int err = errno;
    vxs_forget_family(fd);
    close(fd);
    vxs_throw_errno(env, err, "bind", NULL, "cannot open a raw GRE socket on %s", text);
    return NULL;
  }
  if (napi_create_object(env, &obj) != napi_ok || !vxs_set_i32(env, obj, "fd", fd)) {
    vxs_forget_family(fd);
    close(fd);
    return NULL;
  }
  return obj;
}

// greRecv(fd, slab, slotSize, headroom, lengths, srcAddrs, max) -> count
static napi_value gre_recv(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  struct vxs_rx rx;
  size_t slab_len, nlen, naddr;
  memset(&rx, 0, sizeof rx);
  if (!vxs_args(env, info, 7, argv) || !vxs_arg_fd(env, argv[0], &rx.fd) ||
      !vxs_arg_bytes(env, argv[1], "slab", &rx.slab, &slab_len) ||
      !vxs_arg_u32(env, argv[2], "slotSize", &rx.slot) ||
      !vxs_arg_u32(env, argv[3], "headroom", &rx.headroom) ||
      !vxs_arg_u32s(env, argv[4], "lengths", &rx.lengths, &nlen) ||
      !vxs_arg_bytes(env, argv[5], "srcAddrs", &rx.src_addrs, &naddr) ||
      !vxs_arg_u32(env, argv[6], "max", &rx.max) ||
      !vxs_check_slots(env, slab_len, rx.slot, rx.headroom, rx.max, nlen))
    return NULL;
  if (naddr < (size_t)rx.max * 16) {
    vxs_throw_range(env, "srcAddrs holds fewer than max (%u) addresses", rx.max);
    return NULL;
  }
  int af = vxs_socket_family(rx.fd);
  int n = -1;
  if (af >= 0) {
    // IPv4 raw sockets deliver the IP header, IPv6 raw sockets do not.
    rx.strip_ipv4 = af == AF_INET;
    n = vxs_recv_batch(&rx);
  }
  if (n < 0) {
    vxs_throw_errno(env, errno, "recvmmsg", NULL, "cannot receive on GRE fd %d", rx.fd);
    return NULL;
  }
  return vxs_u32(env, (uint32_t)n);
}

// greSend(fd, slab, offsets, lengths, dstAddrs, count) -> packets sent
static napi_value gre_send(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  struct vxs_tx tx;
  uint8_t *addrs;
  uint32_t *offsets, *lengths;
  size_t slab_len, noff, nlen, naddr;
  memset(&tx, 0, sizeof tx);
  if (!vxs_args(env, info, 6, argv) || !vxs_arg_fd(env, argv[0], &tx.fd) ||
      !vxs_arg_bytes(env, argv[1], "slab", &tx.slab, &slab_len) ||
      !vxs_arg_u32s(env, argv[2], "offsets", &offsets, &noff) ||
      !vxs_arg_u32s(env, argv[3], "lengths", &lengths, &nlen) ||
      !vxs_arg_bytes(env, argv[4], "dstAddrs", &addrs, &naddr) ||
      !vxs_arg_u32(env, argv[5], "count", &tx.count))
    return NULL;
  if (noff < tx.count || nlen < tx.count || naddr < (size_t)tx.count * 16) {
    vxs_throw_range(env, "offsets, lengths or dstAddrs hold fewer than count (%u) entries", tx.count);
    return NULL;
  }
  if (!vxs_check_regions(env, slab_len, offsets, lengths, tx.count)) return NULL;
  tx.offsets = offsets;
  tx.lengths = lengths;
  tx.dst_addrs = addrs;
  tx.family = vxs_socket_family(tx.fd);
  int n = tx.family < 0 ? -1 : vxs_send_batch(&tx);
  if (n < 0) {
    vxs_throw_errno(env, errno, "sendmmsg", NULL, "cannot send on GRE fd %d", tx.fd);
    return NULL;
  }
  return vxs_u32(env, (uint32_t)n);
}

bool vxs_register_gre(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "greOpen", gre_open) &&
         vxs_export(env, exports, "greRecv", gre_recv) &&
         vxs_export(env, exports, "greSend", gre_send);
}
