// Busy polling: wait for any of a few fds to become readable by spinning on poll(2) with a zero
// timeout instead of sleeping in epoll. A sleeping thread pays a wakeup (on a virtual machine
// easily 100 µs or more, plus cold caches); a spinning one sees the packet within a few µs. The
// caller bounds each spin and goes back to the event loop in between.
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <time.h>

#include "addon.h"
#include "args.h"
#include "errors.h"

#define SPIN_MAX_FDS 32

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// spinReadable(fds Uint32Array, count, budgetUs) -> bit i set when fds[i] is readable (or in
// error, so the caller's read reports it); 0 when the budget ran out with nothing ready.
static napi_value spin_readable(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint32_t *fds;
  size_t nfds;
  uint32_t count, budget_us;
  if (!vxs_args(env, info, 3, argv) || !vxs_arg_u32s(env, argv[0], "fds", &fds, &nfds) ||
      !vxs_arg_u32(env, argv[1], "count", &count) || !vxs_arg_u32(env, argv[2], "budgetUs", &budget_us))
    return NULL;
  if (count == 0 || count > SPIN_MAX_FDS || count > nfds) {
    vxs_throw_range(env, "count must be 1..%d and at most fds.length (%zu), got %u", SPIN_MAX_FDS, nfds, count);
    return NULL;
  }
  if (budget_us > 1000000) {
    vxs_throw_range(env, "budgetUs must be at most 1000000 (1 s), got %u", budget_us);
    return NULL;
  }
  struct pollfd pfds[SPIN_MAX_FDS];
  for (uint32_t i = 0; i < count; i++) {
    pfds[i].fd = (int)fds[i];
    pfds[i].events = POLLIN;
    pfds[i].revents = 0;
  }
  uint64_t deadline = now_ns() + (uint64_t)budget_us * 1000u;
  for (;;) {
    int rc = poll(pfds, count, 0);
    if (rc < 0 && errno != EINTR) {
      vxs_throw_errno(env, errno, "poll", NULL, "cannot busy-poll %u fds", count);
      return NULL;
    }
    if (rc > 0) {
      uint32_t mask = 0;
      for (uint32_t i = 0; i < count; i++)
        if (pfds[i].revents != 0) mask |= 1u << i;
      return vxs_u32(env, mask);
    }
    if (now_ns() >= deadline) return vxs_u32(env, 0);
    // Let whatever else is runnable on this CPU go first (ksoftirqd finishing the packet we
    // wait for, the application that answers it): spinning must not starve the kernel's half.
    sched_yield();
  }
}

bool vxs_register_spin(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "spinReadable", spin_readable);
}
