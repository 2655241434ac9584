// TAP devices: open /dev/net/tun, offload and virtio-net header settings, closing fds.
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "addon.h"
#include "args.h"
#include "errors.h"

static const char *open_hint(int err) {
  switch (err) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return "/dev/net/tun is missing: load the tun module (modprobe tun)";
    case EPERM:
    case EACCES:
      return VXS_HINT_ROOT;
    default:
      return NULL;
  }
}

static const char *setiff_hint(int err) {
  switch (err) {
    case EPERM:
    case EACCES:
      return VXS_HINT_ROOT;
    case EBUSY:
      return "a TAP of that name is already open in another process";
    case EINVAL:
      return "an interface of that name exists and is not a TAP with these flags; pick another name";
    default:
      return NULL;
  }
}

// tapOpen(name, vnetHdr) -> { fd, name }
static napi_value tap_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char name[IFNAMSIZ];
  bool vnet;
  if (!vxs_args(env, info, 2, argv) || !vxs_arg_ifname(env, argv[0], "name", name) ||
      !vxs_arg_bool(env, argv[1], "vnetHdr", &vnet))
    return NULL;

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    vxs_throw_errno(env, err, "open", open_hint(err), "cannot open TAP \"%s\"", name);
    return NULL;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, strlen(name));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    vxs_throw_errno(env, err, "ioctl(TUNSETIFF)", setiff_hint(err), "cannot open TAP \"%s\"", name);
    return NULL;
  }
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok || !vxs_set_i32(env, obj, "fd", fd) ||
      !vxs_set_string(env, obj, "name", ifr.ifr_name)) {
    close(fd);
    return NULL;
  }
  return obj;
}

// tapSetOffload(fd, flags): TUNSETOFFLOAD with TUN_F_* bits.
static napi_value tap_set_offload(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  uint32_t flags;
  if (!vxs_args(env, info, 2, argv) || !vxs_arg_fd(env, argv[0], &fd) ||
      !vxs_arg_u32(env, argv[1], "flags", &flags))
    return NULL;
  if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags) < 0) {
    int err = errno;
    const char *hint = err == EINVAL
        ? "the kernel does not accept this TUN_F_* combination (TSO needs TUN_F_CSUM); fall back to no offload"
        : NULL;
    vxs_throw_errno(env, err, "ioctl(TUNSETOFFLOAD)", hint,
                    "cannot set offloads 0x%x on TAP fd %d", flags, fd);
    return NULL;
  }
  return vxs_undefined(env);
}

// tapSetVnetHdrSize(fd, size): TUNSETVNETHDRSZ (10 = virtio_net_hdr, 12 = with num_buffers).
static napi_value tap_set_vnet_hdr_size(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  uint32_t size;
  if (!vxs_args(env, info, 2, argv) || !vxs_arg_fd(env, argv[0], &fd) ||
      !vxs_arg_u32(env, argv[1], "size", &size))
    return NULL;
  int sz = (int)size;
  if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
    int err = errno;
    const char *hint = err == EINVAL ? "the size must be at least 10 (sizeof struct virtio_net_hdr)" : NULL;
    vxs_throw_errno(env, err, "ioctl(TUNSETVNETHDRSZ)", hint,
                    "cannot set virtio-net header size %u on TAP fd %d", size, fd);
    return NULL;
  }
  return vxs_undefined(env);
}

// close(fd): closes any fd the addon handed out (closing a TAP fd removes the TAP).
static napi_value fd_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!vxs_args(env, info, 1, argv) || !vxs_arg_fd(env, argv[0], &fd)) return NULL;
  // Linux releases the fd even when close() reports EINTR, so never retry.
  if (close(fd) < 0 && errno != EINTR) {
    int err = errno;
    vxs_throw_errno(env, err, "close", err == EBADF ? "it is not open (closed twice?)" : NULL,
                    "cannot close fd %d", fd);
    return NULL;
  }
  return vxs_undefined(env);
}

bool vxs_register_tap(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "tapOpen", tap_open) &&
         vxs_export(env, exports, "tapSetOffload", tap_set_offload) &&
         vxs_export(env, exports, "tapSetVnetHdrSize", tap_set_vnet_hdr_size) &&
         vxs_export(env, exports, "close", fd_close);
}
