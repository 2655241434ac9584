// UDP tunnel sockets: open with UDP_GRO/UDP_SEGMENT probing, multicast join, batched recv/send.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
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

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

static bool family_arg(napi_env env, napi_value v, int *af) {
  uint32_t family;
  if (!vxs_arg_u32(env, v, "family", &family)) return false;
  if (family != 4 && family != 6) {
    vxs_throw_range(env, "family must be 4 or 6, got %u", family);
    return false;
  }
  *af = family == 4 ? AF_INET : AF_INET6;
  return true;
}

static bool local_addr(napi_env env, const uint8_t *a16, uint16_t port, int af,
                       union vxs_sockaddr *sa, socklen_t *len) {
  if (vxs_sockaddr_from16(a16, port, af, sa, len)) return true;
  char text[64];
  vxs_addr16_text(a16, text, sizeof text);
  vxs_throw_range(env, "local address %s is not an IPv%d address", text, af == AF_INET ? 4 : 6);
  return false;
}

// udpOpen(family, addr16, port, { gro, gso, reuseAddr, reusePort, rcvBuf, sndBuf })
//   -> { fd, port, gro, gso, rcvBuf, sndBuf }: gro/gso say what is active, rcvBuf/sndBuf what the
//   kernel set (as it reports it: twice what it grants), not what was asked for.
static napi_value udp_open(napi_env env, napi_callback_info info) {
  napi_value argv[4], obj;
  int af;
  const uint8_t *addr;
  uint32_t port, rcvbuf, sndbuf;
  bool want_gro, want_gso, reuse_addr, reuse_port;
  union vxs_sockaddr sa;
  socklen_t salen;
  char text[64];
  if (!vxs_args(env, info, 4, argv) || !family_arg(env, argv[0], &af) ||
      !vxs_arg_addr16(env, argv[1], "addr16", &addr) || !vxs_arg_u32(env, argv[2], "port", &port) ||
      !vxs_opt_bool(env, argv[3], "gro", false, &want_gro) ||
      !vxs_opt_bool(env, argv[3], "gso", false, &want_gso) ||
      !vxs_opt_bool(env, argv[3], "reuseAddr", false, &reuse_addr) ||
      !vxs_opt_bool(env, argv[3], "reusePort", false, &reuse_port) ||
      !vxs_opt_u32(env, argv[3], "rcvBuf", 0, &rcvbuf) ||
      !vxs_opt_u32(env, argv[3], "sndBuf", 0, &sndbuf))
    return NULL;
  if (port > 65535) {
    vxs_throw_range(env, "port must be 0..65535, got %u", port);
    return NULL;
  }
  if (!local_addr(env, addr, (uint16_t)port, af, &sa, &salen)) return NULL;
  vxs_addr16_text(addr, text, sizeof text);

  int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    int err = errno;
    vxs_throw_errno(env, err, "socket",
                    err == EAFNOSUPPORT ? "IPv6 is disabled in this kernel or namespace" : NULL,
                    "cannot open a UDP socket on %s port %u", text, port);
    return NULL;
  }
  int one = 1;
  // A v6 tunnel socket carries IPv6 only; IPv4 peers get their own socket. Each option asked
  // for must hold: a socket without it would behave differently from what was configured.
  const char *failed = NULL;
  if (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
    failed = "setsockopt(IPV6_V6ONLY)";
  else if (reuse_addr && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    failed = "setsockopt(SO_REUSEADDR)";
  else if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
    failed = "setsockopt(SO_REUSEPORT)";
  if (failed != NULL) {
    int err = errno;
    close(fd);
    vxs_throw_errno(env, err, failed, NULL, "cannot open a UDP socket on %s port %u", text, port);
    return NULL;
  }
  uint32_t rcv_set, snd_set;
  vxs_socket_buffers(fd, rcvbuf, sndbuf, &rcv_set, &snd_set);
  if (bind(fd, &sa.sa, salen) < 0) {
    int err = errno;
    close(fd);
    const char *hint = err == EACCES ? "ports below 1024 need root or CAP_NET_BIND_SERVICE" : NULL;
    vxs_throw_errno(env, err, "bind", hint, "cannot open a UDP socket on %s port %u", text, port);
    return NULL;
  }
  union vxs_sockaddr bound;
  socklen_t blen = sizeof bound;
  uint16_t bound_port = 0;
  uint8_t ignored[16];
  if (getsockname(fd, &bound.sa, &blen) < 0) {
    int err = errno;
    close(fd);
    vxs_throw_errno(env, err, "getsockname", NULL, "cannot read the port of the UDP socket on %s", text);
    return NULL;
  }
  vxs_sockaddr_to16(&bound, ignored, &bound_port);
  // Offloads are probed here and reported; without them the caller sends and receives
  // one datagram per packet, which always works.
  bool gro = want_gro && setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
  bool gso = false;
  if (want_gso) {
    int seg;
    socklen_t slen = sizeof seg;
    gso = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, &slen) == 0;
  }
  if (napi_create_object(env, &obj) != napi_ok || !vxs_set_i32(env, obj, "fd", fd) ||
      !vxs_set_i32(env, obj, "port", bound_port) || !vxs_set_bool(env, obj, "gro", gro) ||
      !vxs_set_bool(env, obj, "gso", gso) || !vxs_set_double(env, obj, "rcvBuf", rcv_set) ||
      !vxs_set_double(env, obj, "sndBuf", snd_set)) {
    close(fd);
    return NULL;
  }
  return obj;
}

// udpJoinGroup(fd, group16, ifindex, ttl, loop): joins a multicast group and sends to it
// out of ifindex (0 = by route) with the given TTL / hop limit and loopback setting.
static napi_value udp_join_group(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int fd;
  const uint8_t *group;
  uint32_t ifindex, ttl;
  bool loop;
  char text[64], hint[128];
  if (!vxs_args(env, info, 5, argv) || !vxs_arg_fd(env, argv[0], &fd) ||
      !vxs_arg_addr16(env, argv[1], "group16", &group) ||
      !vxs_arg_u32(env, argv[2], "ifindex", &ifindex) || !vxs_arg_u32(env, argv[3], "ttl", &ttl) ||
      !vxs_arg_bool(env, argv[4], "loop", &loop))
    return NULL;
  if (ttl > 255) {
    vxs_throw_range(env, "ttl must be 0..255, got %u", ttl);
    return NULL;
  }
  vxs_addr16_text(group, text, sizeof text);
  int af = vxs_socket_family(fd);
  if (af < 0) {
    vxs_throw_errno(env, errno, "getsockopt(SO_DOMAIN)", NULL, "cannot join group %s", text);
    return NULL;
  }
  bool v4 = vxs_is_v4_mapped(group);
  if ((af == AF_INET) != v4) {
    vxs_throw_range(env, "group %s is not of the socket's family (IPv%d)", text,
                    af == AF_INET ? 4 : 6);
    return NULL;
  }
  int ittl = (int)ttl, iloop = loop ? 1 : 0, iif = (int)ifindex;
  const char *sys;
  int rc;
  if (v4) {
    struct ip_mreqn mreq;
    memset(&mreq, 0, sizeof mreq);
    memcpy(&mreq.imr_multiaddr, group + 12, 4);
    mreq.imr_ifindex = iif;
    sys = "setsockopt(IP_ADD_MEMBERSHIP)";
    rc = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq);
    if (rc < 0 && errno == EADDRINUSE) rc = 0;  // already a member
    if (rc == 0 && iif > 0) {
      sys = "setsockopt(IP_MULTICAST_IF)";
      rc = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq);
    }
    if (rc == 0) {
      sys = "setsockopt(IP_MULTICAST_TTL)";
      rc = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ittl, sizeof ittl);
    }
    if (rc == 0) {
      sys = "setsockopt(IP_MULTICAST_LOOP)";
      rc = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &iloop, sizeof iloop);
    }
  } else {
    struct ipv6_mreq mreq;
    memcpy(&mreq.ipv6mr_multiaddr, group, 16);
    mreq.ipv6mr_interface = ifindex;
    sys = "setsockopt(IPV6_JOIN_GROUP)";
    rc = setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq);
    if (rc < 0 && errno == EADDRINUSE) rc = 0;
    if (rc == 0 && iif > 0) {
      sys = "setsockopt(IPV6_MULTICAST_IF)";
      rc = setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &iif, sizeof iif);
    }
    if (rc == 0) {
      sys = "setsockopt(IPV6_MULTICAST_HOPS)";
      rc = setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ittl, sizeof ittl);
    }
    if (rc == 0) {
      sys = "setsockopt(IPV6_MULTICAST_LOOP)";
      rc = setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &iloop, sizeof iloop);
    }
  }
  if (rc < 0) {
    int err = errno;
    const char *h = NULL;
    if (err == EINVAL) {
      snprintf(hint, sizeof hint, "%s is not a multicast address", text);
      h = hint;
    } else if (err == ENODEV) {
      if (iif > 0) snprintf(hint, sizeof hint, "no interface with index %d in this namespace", iif);
      else snprintf(hint, sizeof hint, "no route to %s: name the underlay interface", text);
      h = hint;
    }
    vxs_throw_errno(env, err, sys, h, "cannot join multicast group %s", text);
    return NULL;
  }
  return vxs_undefined(env);
}

// udpRecv(fd, slab, slotSize, headroom, lengths, srcAddrs, srcPorts, segSizes, max) -> count
static napi_value udp_recv(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  struct vxs_rx rx;
  struct vxs_batch_lens n;
  size_t nport, nseg;
  memset(&rx, 0, sizeof rx);
  if (!vxs_args(env, info, 9, argv) || !vxs_rx_args(env, argv, &rx, &n) ||
      !vxs_arg_u16s(env, argv[6], "srcPorts", &rx.src_ports, &nport) ||
      !vxs_arg_u16s(env, argv[7], "segSizes", &rx.seg_sizes, &nseg) ||
      !vxs_arg_u32(env, argv[8], "max", &rx.max) ||
      !vxs_check_slots(env, n.slab, rx.slot, rx.headroom, rx.max, n.lengths))
    return NULL;
  if (n.addrs < (size_t)rx.max * 16 || nport < rx.max || nseg < rx.max) {
    vxs_throw_range(env, "srcAddrs, srcPorts or segSizes hold fewer than max (%u) entries", rx.max);
    return NULL;
  }
  return vxs_rx_run(env, &rx, "UDP");
}

// udpSend(fd, slab, offsets, lengths, dstAddrs, dstPorts, segSizes, count, sockState, status)
//   -> messages sent; status[i]: 0 sent, 1 failed (counted), 2 not sent (socket full).
static napi_value udp_send(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  struct vxs_tx tx;
  struct vxs_batch_lens n;
  uint16_t *ports, *segs;
  size_t nport, nseg;
  memset(&tx, 0, sizeof tx);
  if (!vxs_args(env, info, 10, argv) || !vxs_tx_args(env, argv, &tx, &n) ||
      !vxs_arg_u16s(env, argv[5], "dstPorts", &ports, &nport) ||
      !vxs_arg_u16s(env, argv[6], "segSizes", &segs, &nseg) ||
      !vxs_arg_u32(env, argv[7], "count", &tx.count) ||
      !vxs_tx_tail_args(env, argv[8], argv[9], &tx))
    return NULL;
  if (n.offsets < tx.count || n.lengths < tx.count || n.addrs < (size_t)tx.count * 16 || nport < tx.count ||
      nseg < tx.count) {
    vxs_throw_range(env, "offsets, lengths, dstAddrs, dstPorts or segSizes hold fewer than count (%u) entries",
                    tx.count);
    return NULL;
  }
  tx.dst_ports = ports;
  tx.seg_sizes = segs;
  return vxs_tx_run(env, &tx, n.slab, "UDP");
}

bool vxs_register_udp(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "udpOpen", udp_open) &&
         vxs_export(env, exports, "udpJoinGroup", udp_join_group) &&
         vxs_export(env, exports, "udpRecv", udp_recv) &&
         vxs_export(env, exports, "udpSend", udp_send);
}
