// Stand-in for Node's node_api.h when the offload code is built into the fuzz harness: only the
// types the addon's headers name. The functions behind them live in shim.c.
#ifndef VXS_FUZZ_NODE_API_H
#define VXS_FUZZ_NODE_API_H

#include <stddef.h>

typedef struct vxs_fuzz_env *napi_env;
typedef struct vxs_fuzz_value *napi_value;
typedef struct vxs_fuzz_info *napi_callback_info;
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
typedef enum { napi_ok, napi_invalid_arg } napi_status;

#endif
