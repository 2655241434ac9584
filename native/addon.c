// Module registration for the vxswitch Node-API addon.
#include <node_api.h>

#include "addon.h"
#include "args.h"
#include "counters.h"

static napi_value init(napi_env env, napi_value exports) {
  if (!vxs_register_tap(env, exports) || !vxs_register_frames(env, exports) ||
      !vxs_register_link(env, exports) || !vxs_register_poll(env, exports) ||
      !vxs_register_udp(env, exports) || !vxs_register_gre(env, exports) ||
      !vxs_register_offload_csum(env, exports) || !vxs_register_tso(env, exports) ||
      !vxs_register_gro(env, exports) || !vxs_register_spin(env, exports) ||
      !vxs_register_crypto(env, exports) || !vxs_register_abi(env, exports) ||
      !vxs_export(env, exports, "ioCounters", vxs_io_counters))
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
