// The JS side of the batched socket calls shared by udp.c and gre.c (see batch_args.h).
#include "batch_args.h"

#include <errno.h>

#include "args.h"
#include "errors.h"
#include <sys/socket.h>

bool vxs_rx_args(napi_env env, napi_value *argv, struct vxs_rx *rx, struct vxs_batch_lens *n) {
  return vxs_arg_fd(env, argv[0], &rx->fd) && vxs_arg_bytes(env, argv[1], "slab", &rx->slab, &n->slab) &&
         vxs_arg_u32(env, argv[2], "slotSize", &rx->slot) &&
         vxs_arg_u32(env, argv[3], "headroom", &rx->headroom) &&
         vxs_arg_u32s(env, argv[4], "lengths", &rx->lengths, &n->lengths) &&
         vxs_arg_bytes(env, argv[5], "srcAddrs", &rx->src_addrs, &n->addrs);
}

bool vxs_tx_args(napi_env env, napi_value *argv, struct vxs_tx *tx, struct vxs_batch_lens *n) {
  uint32_t *offsets, *lengths;
  uint8_t *addrs;
  if (!vxs_arg_fd(env, argv[0], &tx->fd) || !vxs_arg_bytes(env, argv[1], "slab", &tx->slab, &n->slab) ||
      !vxs_arg_u32s(env, argv[2], "offsets", &offsets, &n->offsets) ||
      !vxs_arg_u32s(env, argv[3], "lengths", &lengths, &n->lengths) ||
      !vxs_arg_bytes(env, argv[4], "dstAddrs", &addrs, &n->addrs))
    return false;
  tx->offsets = offsets;
  tx->lengths = lengths;
  tx->dst_addrs = addrs;
  return true;
}

napi_value vxs_rx_run(napi_env env, const struct vxs_rx *rx, const char *what) {
  int n = vxs_recv_batch(rx);
  if (n < 0) {
    vxs_throw_errno(env, errno, "recvmmsg", NULL, "cannot receive on %s fd %d", what, rx->fd);
    return NULL;
  }
  return vxs_u32(env, (uint32_t)n);
}

bool vxs_sock_state_arg(napi_env env, napi_value v, int32_t **state) {
  int32_t *s;
  size_t len;
  if (!vxs_arg_i32s(env, v, "sockState", &s, &len)) return false;
  if (len < VXS_SOCK_STATE_LEN || (s[0] != 4 && s[0] != 6)) {
    vxs_throw_range(env, "sockState must be an Int32Array [family 4|6, gso 0|1]");
    return false;
  }
  *state = s;
  return true;
}

bool vxs_tx_tail_args(napi_env env, napi_value state, napi_value status, struct vxs_tx *tx) {
  size_t nstatus;
  if (!vxs_sock_state_arg(env, state, &tx->sock_state) ||
      !vxs_arg_bytes(env, status, "status", &tx->status, &nstatus))
    return false;
  if (nstatus < tx->count) {
    vxs_throw_range(env, "status holds fewer than count (%u) entries", tx->count);
    return false;
  }
  tx->family = tx->sock_state[0] == 4 ? AF_INET : AF_INET6;
  return true;
}

napi_value vxs_tx_run(napi_env env, struct vxs_tx *tx, size_t slab_len, const char *what) {
  if (!vxs_check_regions(env, slab_len, tx->offsets, tx->lengths, tx->count)) return NULL;
  int n = vxs_send_batch(tx);
  if (n < 0) {
    vxs_throw_errno(env, errno, "sendmmsg", NULL, "cannot send on %s fd %d", what, tx->fd);
    return NULL;
  }
  return vxs_u32(env, (uint32_t)n);
}
