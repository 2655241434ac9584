// Process-wide counters of per-packet I/O failures that are counted, not thrown.
#include "counters.h"

#include <stdio.h>

#include "args.h"
#include "errors.h"

static uint64_t counters[VXS_COUNTER_COUNT];
static int last_errno;
static const char *last_syscall;

static const char *const names[VXS_COUNTER_COUNT] = {
    "readErrors", "writeErrors", "recvErrors", "sendErrors",
    "truncated",  "malformed",   "gsoFallbacks", "gsoDisabled", "badChecksumOffsets",
};

void vxs_count(enum vxs_counter c, uint64_t n) {
  __atomic_fetch_add(&counters[c], n, __ATOMIC_RELAXED);
}

void vxs_count_error(enum vxs_counter c, int err, const char *syscall) {
  vxs_count(c, 1);
  __atomic_store_n(&last_errno, err, __ATOMIC_RELAXED);
  __atomic_store_n(&last_syscall, syscall, __ATOMIC_RELAXED);
}

napi_value vxs_io_counters(napi_env env, napi_callback_info info) {
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  for (int i = 0; i < VXS_COUNTER_COUNT; i++) {
    double v = (double)__atomic_load_n(&counters[i], __ATOMIC_RELAXED);
    if (!vxs_set_double(env, obj, names[i], v)) return NULL;
  }
  char last[64] = "";
  int err = __atomic_load_n(&last_errno, __ATOMIC_RELAXED);
  const char *sys = __atomic_load_n(&last_syscall, __ATOMIC_RELAXED);
  if (err != 0) snprintf(last, sizeof last, "%s (%s)", vxs_errno_name(err), sys ? sys : "?");
  if (!vxs_set_string(env, obj, "lastError", last)) return NULL;
  return obj;
}
