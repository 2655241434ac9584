// The fuzz harness's stand-in for Node-API values: typed arrays and numbers passed to the addon's
// wrappers (offload_*.c) exactly as JS would, without a JS engine.
#ifndef VXS_FUZZ_SHIM_H
#define VXS_FUZZ_SHIM_H

#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>

enum vxs_fuzz_kind { FUZZ_BYTES, FUZZ_U32S, FUZZ_U16S, FUZZ_NUMBER };

struct vxs_fuzz_value {
  enum vxs_fuzz_kind kind;
  void *data;
  size_t count;  // elements
  double number;
};

struct vxs_fuzz_info {
  napi_value argv[16];
  size_t argc;
};

struct vxs_fuzz_env {
  bool thrown;  // a TypeError/RangeError is pending
  char message[256];
};

napi_value vxs_fuzz_bytes(struct vxs_fuzz_value *v, uint8_t *p, size_t n);
napi_value vxs_fuzz_u32s(struct vxs_fuzz_value *v, uint32_t *p, size_t n);
napi_value vxs_fuzz_u16s(struct vxs_fuzz_value *v, uint16_t *p, size_t n);
napi_value vxs_fuzz_number(struct vxs_fuzz_value *v, double d);
// The function a register call exported under name, or NULL.
napi_callback vxs_fuzz_export(const char *name);
// The number a wrapper returned.
double vxs_fuzz_result(napi_value v);

#endif
