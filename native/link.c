// Link operations by ioctl on interface names, in the caller's network namespace.
#include <errno.h>
#include <net/if_arp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"
#include "args.h"
#include "errors.h"
#include "sockaddr.h"

// struct in6_ifreq from <linux/ipv6.h>, which clashes with <netinet/in.h>.
struct vxs_in6_ifreq {
  struct in6_addr addr;
  uint32_t prefixlen;
  int ifindex;
};

// Old bridge ioctl (linux/if_bridge.h clashes with <netinet/in.h>): ifindex of each port.
#define VXS_BRCTL_GET_PORT_LIST 7
#define VXS_BR_MAX_PORTS 1024

// Runs one ioctl on a throwaway control socket; returns 0 or an errno.
static int ctl_ioctl(int family, unsigned long req, void *arg) {
  int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  int rc = ioctl(s, req, arg) < 0 ? errno : 0;
  close(s);
  return rc;
}

static void ifr_init(struct ifreq *ifr, const char *name) {
  memset(ifr, 0, sizeof *ifr);
  memcpy(ifr->ifr_name, name, strnlen(name, IFNAMSIZ - 1));
}

// Hint for errors on an interface looked up by name.
static const char *link_hint(int err, const char *name, char *buf, size_t cap) {
  if (err == ENODEV || err == ENXIO) {
    snprintf(buf, cap, "link \"%s\" does not exist in this network namespace", name);
    return buf;
  }
  return NULL;
}

static bool link_ioctl(napi_env env, unsigned long req, struct ifreq *ifr, const char *syscall,
                       const char *what) {
  int err = ctl_ioctl(AF_INET, req, ifr);
  if (err == 0) return true;
  char hint[96];
  vxs_throw_errno(env, err, syscall, link_hint(err, ifr->ifr_name, hint, sizeof hint),
                  "cannot %s \"%s\"", what, ifr->ifr_name);
  return false;
}

static bool name_arg(napi_env env, napi_callback_info info, size_t argc, napi_value *argv,
                     struct ifreq *ifr) {
  char name[IFNAMSIZ];
  if (!vxs_args(env, info, argc, argv) || !vxs_arg_ifname(env, argv[0], "name", name)) return false;
  ifr_init(ifr, name);
  return true;
}

// linkIndex(name) -> ifindex; throws ENODEV when absent.
static napi_value link_index(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct ifreq ifr;
  if (!name_arg(env, info, 1, argv, &ifr) ||
      !link_ioctl(env, SIOCGIFINDEX, &ifr, "ioctl(SIOCGIFINDEX)", "get the index of link"))
    return NULL;
  return vxs_i32(env, ifr.ifr_ifindex);
}

// linkMac(name) -> 6-byte Buffer
static napi_value link_mac(napi_env env, napi_callback_info info) {
  napi_value argv[1], buf;
  struct ifreq ifr;
  if (!name_arg(env, info, 1, argv, &ifr) ||
      !link_ioctl(env, SIOCGIFHWADDR, &ifr, "ioctl(SIOCGIFHWADDR)", "get the MAC address of link"))
    return NULL;
  if (napi_create_buffer_copy(env, 6, ifr.ifr_hwaddr.sa_data, NULL, &buf) != napi_ok) return NULL;
  return buf;
}

// linkSetMac(name, mac6)
static napi_value link_set_mac(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct ifreq ifr;
  uint8_t *mac;
  size_t len;
  if (!name_arg(env, info, 2, argv, &ifr) || !vxs_arg_bytes(env, argv[1], "mac", &mac, &len))
    return NULL;
  if (len != 6) {
    vxs_throw_range(env, "mac must be 6 bytes, got %zu", len);
    return NULL;
  }
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
  int err = ctl_ioctl(AF_INET, SIOCSIFHWADDR, &ifr);
  if (err != 0) {
    char hint[96];
    const char *h = err == EADDRNOTAVAIL
        ? "the MAC must be unicast (lowest bit of the first byte clear) and not all zero"
        : err == EBUSY ? "the device refuses MAC changes while up; bring it down first"
                       : link_hint(err, ifr.ifr_name, hint, sizeof hint);
    vxs_throw_errno(env, err, "ioctl(SIOCSIFHWADDR)", h, "cannot set the MAC address of \"%s\"",
                    ifr.ifr_name);
    return NULL;
  }
  return vxs_undefined(env);
}

// linkGetMtu(name) -> mtu
static napi_value link_get_mtu(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct ifreq ifr;
  if (!name_arg(env, info, 1, argv, &ifr) ||
      !link_ioctl(env, SIOCGIFMTU, &ifr, "ioctl(SIOCGIFMTU)", "get the MTU of link"))
    return NULL;
  return vxs_i32(env, ifr.ifr_mtu);
}

// linkSetMtu(name, mtu)
static napi_value link_set_mtu(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct ifreq ifr;
  uint32_t mtu;
  if (!name_arg(env, info, 2, argv, &ifr) || !vxs_arg_u32(env, argv[1], "mtu", &mtu)) return NULL;
  if (mtu > INT32_MAX) mtu = INT32_MAX;
  ifr.ifr_mtu = (int)mtu;
  int err = ctl_ioctl(AF_INET, SIOCSIFMTU, &ifr);
  if (err != 0) {
    char hint[128];
    const char *h = link_hint(err, ifr.ifr_name, hint, sizeof hint);
    if (err == EINVAL) {
      snprintf(hint, sizeof hint, "MTU %u is outside the range the device accepts (68..65521 for a TAP)", mtu);
      h = hint;
    }
    vxs_throw_errno(env, err, "ioctl(SIOCSIFMTU)", h, "cannot set the MTU of \"%s\" to %u",
                    ifr.ifr_name, mtu);
    return NULL;
  }
  return vxs_undefined(env);
}

// Sets or clears IFF_UP; returns 0 or an errno.
static int set_up(struct ifreq *ifr, bool up) {
  int err = ctl_ioctl(AF_INET, SIOCGIFFLAGS, ifr);
  if (err != 0) return err;
  short want = up ? (short)(ifr->ifr_flags | IFF_UP) : (short)(ifr->ifr_flags & ~IFF_UP);
  if (want == ifr->ifr_flags) return 0;
  ifr->ifr_flags = want;
  return ctl_ioctl(AF_INET, SIOCSIFFLAGS, ifr);
}

// linkSetUp(name, up)
static napi_value link_set_up(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct ifreq ifr;
  bool up;
  if (!name_arg(env, info, 2, argv, &ifr) || !vxs_arg_bool(env, argv[1], "up", &up)) return NULL;
  char name[IFNAMSIZ];
  memcpy(name, ifr.ifr_name, IFNAMSIZ);
  int err = set_up(&ifr, up);
  if (err != 0) {
    char hint[96];
    vxs_throw_errno(env, err, "ioctl(SIOCSIFFLAGS)", link_hint(err, name, hint, sizeof hint),
                    "cannot bring \"%s\" %s", name, up ? "up" : "down");
    return NULL;
  }
  return vxs_undefined(env);
}

// Whether ifindex is already a port of bridge (BRCTL_GET_PORT_LIST).
static bool is_port_of(const char *bridge, int ifindex) {
  static __thread int ports[VXS_BR_MAX_PORTS];
  unsigned long args[4] = {VXS_BRCTL_GET_PORT_LIST, (unsigned long)ports, VXS_BR_MAX_PORTS, 0};
  struct ifreq ifr;
  memset(ports, 0, sizeof ports);
  ifr_init(&ifr, bridge);
  ifr.ifr_data = (char *)args;
  if (ctl_ioctl(AF_INET, SIOCDEVPRIVATE, &ifr) != 0) return false;
  for (int i = 0; i < VXS_BR_MAX_PORTS; i++) {
    if (ports[i] == ifindex) return true;
  }
  return false;
}

// linkSetMaster(name, bridge): SIOCBRADDIF; attaching to the bridge it is already in is a no-op.
static napi_value link_set_master(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct ifreq ifr;
  char port[IFNAMSIZ], bridge[IFNAMSIZ], hint[128];
  if (!vxs_args(env, info, 2, argv) || !vxs_arg_ifname(env, argv[0], "name", port) ||
      !vxs_arg_ifname(env, argv[1], "bridge", bridge))
    return NULL;
  ifr_init(&ifr, port);
  int err = ctl_ioctl(AF_INET, SIOCGIFINDEX, &ifr);
  if (err != 0) {
    vxs_throw_errno(env, err, "ioctl(SIOCGIFINDEX)", link_hint(err, port, hint, sizeof hint),
                    "cannot attach \"%s\" to bridge \"%s\"", port, bridge);
    return NULL;
  }
  int ifindex = ifr.ifr_ifindex;
  ifr_init(&ifr, bridge);
  ifr.ifr_ifindex = ifindex;
  err = ctl_ioctl(AF_INET, SIOCBRADDIF, &ifr);
  if (err == EBUSY && is_port_of(bridge, ifindex)) err = 0;
  if (err != 0) {
    const char *h = NULL;
    switch (err) {
      case ENODEV:
      case ENXIO:
        snprintf(hint, sizeof hint, "bridge \"%s\" does not exist", bridge);
        h = hint;
        break;
      case EOPNOTSUPP:
      case EINVAL:
        snprintf(hint, sizeof hint, "\"%s\" is not a bridge", bridge);
        h = hint;
        break;
      case EBUSY:
        snprintf(hint, sizeof hint, "\"%s\" already has a master (bridge or bond); detach it first", port);
        h = hint;
        break;
      case ELOOP:
        h = "a bridge cannot be a port of itself or of a bridge below it";
        break;
    }
    vxs_throw_errno(env, err, "ioctl(SIOCBRADDIF)", h, "cannot attach \"%s\" to bridge \"%s\"",
                    port, bridge);
    return NULL;
  }
  return vxs_undefined(env);
}

// bridgeAdd(name): SIOCBRADDBR
static napi_value bridge_add(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[IFNAMSIZ];
  if (!vxs_args(env, info, 1, argv) || !vxs_arg_ifname(env, argv[0], "name", name)) return NULL;
  int err = ctl_ioctl(AF_INET, SIOCBRADDBR, name);
  if (err != 0) {
    const char *h = err == EEXIST ? "an interface of that name already exists"
                  : err == ENOPKG ? "the kernel has no bridge support (modprobe bridge)"
                                  : NULL;
    vxs_throw_errno(env, err, "ioctl(SIOCBRADDBR)", h, "cannot create bridge \"%s\"", name);
    return NULL;
  }
  return vxs_undefined(env);
}

// bridgeDel(name): brings the bridge down (the kernel refuses to delete it up), SIOCBRDELBR.
static napi_value bridge_del(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct ifreq ifr;
  char name[IFNAMSIZ], hint[96];
  if (!vxs_args(env, info, 1, argv) || !vxs_arg_ifname(env, argv[0], "name", name)) return NULL;
  ifr_init(&ifr, name);
  int err = set_up(&ifr, false);
  if (err == 0) err = ctl_ioctl(AF_INET, SIOCBRDELBR, name);
  if (err != 0) {
    const char *h = NULL;
    if (err == ENODEV || err == ENXIO) {
      snprintf(hint, sizeof hint, "bridge \"%s\" does not exist", name);
      h = hint;
    } else if (err == EPERM) {
      snprintf(hint, sizeof hint, "\"%s\" is not a bridge, or this process lacks CAP_NET_ADMIN", name);
      h = hint;
    }
    vxs_throw_errno(env, err, "ioctl(SIOCBRDELBR)", h, "cannot delete bridge \"%s\"", name);
    return NULL;
  }
  return vxs_undefined(env);
}

// linkAddAddress(name, addr16, prefixLen): IPv4 by SIOCSIFADDR + SIOCSIFNETMASK (replaces the
// primary IPv4 address, as ifconfig does); IPv6 by in6_ifreq SIOCSIFADDR (adds one).
static napi_value link_add_address(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  struct ifreq ifr;
  const uint8_t *addr;
  uint32_t plen;
  char name[IFNAMSIZ], hint[96], text[64];
  if (!vxs_args(env, info, 3, argv) || !vxs_arg_ifname(env, argv[0], "name", name) ||
      !vxs_arg_addr16(env, argv[1], "addr16", &addr) ||
      !vxs_arg_u32(env, argv[2], "prefixLen", &plen))
    return NULL;
  bool v4 = vxs_is_v4_mapped(addr);
  if (plen > (v4 ? 32u : 128u)) {
    vxs_throw_range(env, "prefixLen must be 0..%d, got %u", v4 ? 32 : 128, plen);
    return NULL;
  }
  vxs_addr16_text(addr, text, sizeof text);
  int err;
  const char *sys;
  ifr_init(&ifr, name);
  if (v4) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    memcpy(&sin->sin_addr, addr + 12, 4);
    sys = "ioctl(SIOCSIFADDR)";
    err = ctl_ioctl(AF_INET, SIOCSIFADDR, &ifr);
    if (err == 0) {
      ifr_init(&ifr, name);
      sin->sin_family = AF_INET;
      sin->sin_addr.s_addr = htonl(plen == 0 ? 0 : 0xffffffffu << (32 - plen));
      sys = "ioctl(SIOCSIFNETMASK)";
      err = ctl_ioctl(AF_INET, SIOCSIFNETMASK, &ifr);
    }
  } else {
    sys = "ioctl(SIOCGIFINDEX)";
    err = ctl_ioctl(AF_INET, SIOCGIFINDEX, &ifr);
    if (err == 0) {
      struct vxs_in6_ifreq req;
      memset(&req, 0, sizeof req);
      memcpy(&req.addr, addr, 16);
      req.prefixlen = plen;
      req.ifindex = ifr.ifr_ifindex;
      sys = "ioctl(SIOCSIFADDR)";
      err = ctl_ioctl(AF_INET6, SIOCSIFADDR, &req);
    }
  }
  if (err != 0) {
    const char *h = err == EEXIST ? "the address is already assigned"
                  : err == EAFNOSUPPORT ? "IPv6 is disabled in this kernel or namespace"
                                        : link_hint(err, name, hint, sizeof hint);
    vxs_throw_errno(env, err, sys, h, "cannot add address %s/%u to \"%s\"", text, plen, name);
    return NULL;
  }
  return vxs_undefined(env);
}

bool vxs_register_link(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "linkIndex", link_index) &&
         vxs_export(env, exports, "linkMac", link_mac) &&
         vxs_export(env, exports, "linkSetMac", link_set_mac) &&
         vxs_export(env, exports, "linkGetMtu", link_get_mtu) &&
         vxs_export(env, exports, "linkSetMtu", link_set_mtu) &&
         vxs_export(env, exports, "linkSetUp", link_set_up) &&
         vxs_export(env, exports, "linkSetMaster", link_set_master) &&
         vxs_export(env, exports, "bridgeAdd", bridge_add) &&
         vxs_export(env, exports, "bridgeDel", bridge_del) &&
         vxs_export(env, exports, "linkAddAddress", link_add_address);
}
