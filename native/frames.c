// Batched frame I/O on a TAP fd: read() until EAGAIN or max, write() per frame.
#include <errno.h>
#include <unistd.h>

#include "addon.h"
#include "args.h"
#include "counters.h"
#include "errors.h"

// readFrames(fd, slab, slotSize, headroom, lengths, max) -> frames read (0 = none ready)
static napi_value read_frames(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int fd;
  uint8_t *slab;
  size_t slab_len, nlengths;
  uint32_t slot, headroom, max, *lengths;
  if (!vxs_args(env, info, 6, argv) || !vxs_arg_fd(env, argv[0], &fd) ||
      !vxs_arg_bytes(env, argv[1], "slab", &slab, &slab_len) ||
      !vxs_arg_u32(env, argv[2], "slotSize", &slot) ||
      !vxs_arg_u32(env, argv[3], "headroom", &headroom) ||
      !vxs_arg_u32s(env, argv[4], "lengths", &lengths, &nlengths) ||
      !vxs_arg_u32(env, argv[5], "max", &max) ||
      !vxs_check_slots(env, slab_len, slot, headroom, max, nlengths))
    return NULL;

  const size_t cap = slot - headroom;
  uint32_t n = 0;
  while (n < max) {
    ssize_t r = read(fd, slab + (size_t)n * slot + headroom, cap);
    if (r < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN) break;
      if (n > 0) {
        // Hand over what we have; a lasting error shows up as a throw on the next call.
        vxs_count_error(VXS_READ_ERRORS, err, "read");
        break;
      }
      vxs_throw_errno(env, err, "read", NULL, "cannot read from TAP fd %d", fd);
      return NULL;
    }
    // tun reports the full frame length even when it copied only `cap` bytes.
    if ((size_t)r > cap) {
      vxs_count(VXS_TRUNCATED, 1);
      continue;
    }
    lengths[n++] = (uint32_t)r;
  }
  return vxs_u32(env, n);
}

// writeFrames(fd, slab, offsets, lengths, count) -> frames written
static napi_value write_frames(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int fd;
  uint8_t *slab;
  size_t slab_len, noffsets, nlengths;
  uint32_t *offsets, *lengths, count;
  if (!vxs_args(env, info, 5, argv) || !vxs_arg_fd(env, argv[0], &fd) ||
      !vxs_arg_bytes(env, argv[1], "slab", &slab, &slab_len) ||
      !vxs_arg_u32s(env, argv[2], "offsets", &offsets, &noffsets) ||
      !vxs_arg_u32s(env, argv[3], "lengths", &lengths, &nlengths) ||
      !vxs_arg_u32(env, argv[4], "count", &count))
    return NULL;
  if (count > noffsets || count > nlengths) {
    vxs_throw_range(env, "count (%u) exceeds offsets (%zu) or lengths (%zu)", count, noffsets,
                    nlengths);
    return NULL;
  }
  if (!vxs_check_regions(env, slab_len, offsets, lengths, count)) return NULL;

  uint32_t written = 0;
  for (uint32_t i = 0; i < count; i++) {
    ssize_t r;
    do r = write(fd, slab + offsets[i], lengths[i]);
    while (r < 0 && errno == EINTR);
    if (r >= 0) {
      written++;
      continue;
    }
    int err = errno;
    if (err == EAGAIN || err == ENOBUFS) break;  // the caller counts the rest as dropped
    if (err == EBADF || err == EFAULT || err == EBADFD) {
      vxs_throw_errno(env, err, "write", NULL, "cannot write to TAP fd %d", fd);
      return NULL;
    }
    // One bad frame (EINVAL: runt or bad virtio header; EIO: TAP down) must not stop the rest.
    vxs_count_error(VXS_WRITE_ERRORS, err, "write");
  }
  return vxs_u32(env, written);
}

bool vxs_register_frames(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "readFrames", read_frames) &&
         vxs_export(env, exports, "writeFrames", write_frames);
}
