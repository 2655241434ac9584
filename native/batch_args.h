// The JS side of the batched socket calls shared by udp.c and gre.c: the leading arguments every
// send and receive takes, and the syscall with its error.
#ifndef VXS_BATCH_ARGS_H
#define VXS_BATCH_ARGS_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmsg.h"

// Sizes of the typed arrays the leading arguments held, for the caller's count checks.
struct vxs_batch_lens {
  size_t slab, lengths, addrs, offsets;
};

// (fd, slab, slotSize, headroom, lengths, srcAddrs) into rx: argv[0..5].
bool vxs_rx_args(napi_env env, napi_value *argv, struct vxs_rx *rx, struct vxs_batch_lens *n);
// (fd, slab, offsets, lengths, dstAddrs) into tx: argv[0..4].
bool vxs_tx_args(napi_env env, napi_value *argv, struct vxs_tx *tx, struct vxs_batch_lens *n);
// The socket's state array (Int32Array [family 4|6, gso 0|1]) the JS socket object owns.
bool vxs_sock_state_arg(napi_env env, napi_value v, int32_t **state);
// (sockState, status) after the count: into tx, with the family. Call after tx->count is set.
bool vxs_tx_tail_args(napi_env env, napi_value state, napi_value status, struct vxs_tx *tx);
// recvmmsg into rx; the count, or NULL with an error naming `what` ("UDP", "GRE").
napi_value vxs_rx_run(napi_env env, const struct vxs_rx *rx, const char *what);
// Checks every message lies in the slab, sends with the socket's family; the count sent, or NULL.
napi_value vxs_tx_run(napi_env env, struct vxs_tx *tx, size_t slab_len, const char *what);

#endif
