// Process-wide counters of per-packet I/O failures that are counted, not thrown.
#ifndef VXS_COUNTERS_H
#define VXS_COUNTERS_H

#include <node_api.h>
#include <stdint.h>

enum vxs_counter {
  VXS_READ_ERRORS,   // TAP read failures after at least one frame was read
  VXS_WRITE_ERRORS,  // TAP frames the kernel refused (EINVAL, EIO on a down TAP, ...)
  VXS_RECV_ERRORS,   // socket receive failures after at least one datagram
  VXS_SEND_ERRORS,   // datagrams the kernel refused (EMSGSIZE, ENETUNREACH, wrong family, ...)
  VXS_TRUNCATED,     // frames/datagrams larger than a slot, dropped
  VXS_MALFORMED,     // raw GRE packets whose IPv4 header made no sense, dropped
  VXS_GSO_FALLBACKS, // UDP_SEGMENT sends refused by the kernel and re-sent segment by segment
  VXS_GSO_DISABLED,  // sockets whose UDP_SEGMENT was switched off after the kernel refused it
  VXS_BAD_CSUM_OFFSETS,  // TAP frames with NEEDS_CSUM offsets outside the frame, dropped
  VXS_COUNTER_COUNT
};

void vxs_count(enum vxs_counter c, uint64_t n);
// Counts one failure and remembers it as the most recent error.
void vxs_count_error(enum vxs_counter c, int err, const char *syscall);

// ioCounters(): { readErrors, writeErrors, ..., lastError: "EMSGSIZE (sendmmsg)" | "" }
napi_value vxs_io_counters(napi_env env, napi_callback_info info);

#endif
