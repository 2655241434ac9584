// The addon's `abi` object: every number of abi.h by name, so src/io/native-abi.ts can check at
// load time that the TypeScript side was built with the same numbers (docs/INTERNALS.md).
#include <node_api.h>

#include "abi.h"
#include "addon.h"
#include "args.h"

#define ABI(name) {#name, VXS_##name}

static const struct {
  const char *name;
  int32_t value;
} constants[] = {
    ABI(VNET_HDR_LEN),   ABI(ENCAP_MAX),   ABI(UDP_GSO_MAX_SEGS),   ABI(TSO_MIN_MSS),
    ABI(GRO_MAX_FRAME),  ABI(GRO_PAD),     ABI(GRO_RECORD),         ABI(GRO_ENCAP_GRE),
    ABI(TX_SENT),        ABI(TX_FAILED),   ABI(TX_UNSENT),          ABI(SOCK_STATE_LEN),
    ABI(CRYPTO_HDR),     ABI(CRYPTO_TAG),  ABI(VXLAN_FLAGS_SEALED), ABI(GRE_PROTO_SEALED),
    ABI(CHACHA20_POLY1305), ABI(AES_256_GCM), ABI(KIND_VXLAN),      ABI(KIND_GRE),
    ABI(OPEN_RESULTS),
};

bool vxs_register_abi(napi_env env, napi_value exports) {
  napi_value abi;
  if (napi_create_object(env, &abi) != napi_ok) return false;
  for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++)
    if (!vxs_set_i32(env, abi, constants[i].name, constants[i].value)) return false;
  return napi_set_named_property(env, exports, "abi", abi) == napi_ok;
}
