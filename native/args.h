// Argument helpers shared by the addon's functions: fetch and type-check JS values.
#ifndef VXS_ARGS_H
#define VXS_ARGS_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Every helper returns false with a pending TypeError/RangeError; the caller then returns NULL.
bool vxs_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
// At least `want` and up to `cap` arguments into argv[0..cap); the ones not given are undefined.
bool vxs_args_upto(napi_env env, napi_callback_info info, size_t want, size_t cap, napi_value *argv);
bool vxs_arg_i32(napi_env env, napi_value v, const char *name, int32_t *out);
bool vxs_arg_u32(napi_env env, napi_value v, const char *name, uint32_t *out);
// An optional argument (fetched with vxs_args_upto): *out is left as it is when v is undefined.
bool vxs_arg_optional_u32(napi_env env, napi_value v, const char *name, uint32_t *out);
bool vxs_arg_fd(napi_env env, napi_value v, int *out);
bool vxs_arg_bool(napi_env env, napi_value v, const char *name, bool *out);
bool vxs_arg_string(napi_env env, napi_value v, const char *name, char *buf, size_t cap);
// An interface name: 1..15 bytes (IFNAMSIZ - 1), no '/' or whitespace.
bool vxs_arg_ifname(napi_env env, napi_value v, const char *name, char *buf);
bool vxs_arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len);
bool vxs_arg_u32s(napi_env env, napi_value v, const char *name, uint32_t **data, size_t *len);
bool vxs_arg_i32s(napi_env env, napi_value v, const char *name, int32_t **data, size_t *len);
bool vxs_arg_u16s(napi_env env, napi_value v, const char *name, uint16_t **data, size_t *len);
bool vxs_arg_f64s(napi_env env, napi_value v, const char *name, double **data, size_t *len);
// A 16-byte address (IPv6, or IPv4-mapped).
bool vxs_arg_addr16(napi_env env, napi_value v, const char *name, const uint8_t **addr);
bool vxs_arg_function(napi_env env, napi_value v, const char *name);
// Optional properties of an options object (undefined/missing -> default).
bool vxs_opt_bool(napi_env env, napi_value obj, const char *key, bool dflt, bool *out);
bool vxs_opt_u32(napi_env env, napi_value obj, const char *key, uint32_t dflt, uint32_t *out);

// Checks that `max` slots of `slot` bytes fit in the slab and that headroom leaves room.
bool vxs_check_slots(napi_env env, size_t slab_len, uint32_t slot, uint32_t headroom,
                     uint32_t max, size_t nlengths);
// Checks that every (offset, length) of a send batch lies inside the slab.
bool vxs_check_regions(napi_env env, size_t slab_len, const uint32_t *offsets,
                       const uint32_t *lengths, uint32_t count);

napi_value vxs_undefined(napi_env env);
napi_value vxs_u32(napi_env env, uint32_t v);
napi_value vxs_i32(napi_env env, int32_t v);
napi_value vxs_bool(napi_env env, bool v);
napi_value vxs_string(napi_env env, const char *s);
bool vxs_set_i32(napi_env env, napi_value obj, const char *key, int32_t v);
bool vxs_set_bool(napi_env env, napi_value obj, const char *key, bool v);
bool vxs_set_string(napi_env env, napi_value obj, const char *key, const char *s);
bool vxs_set_double(napi_env env, napi_value obj, const char *key, double v);

// Registers a function on `exports`.
bool vxs_export(napi_env env, napi_value exports, const char *name, napi_callback fn);

#endif
