// Argument helpers shared by the addon's functions: fetch and type-check JS values.
#include "args.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

bool vxs_args_upto(napi_env env, napi_callback_info info, size_t want, size_t cap, napi_value *argv) {
  size_t argc = cap;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < want) {
    vxs_throw_type(env, "expected %zu arguments, got %zu", want, argc);
    return false;
  }
  return true;
}

bool vxs_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  return vxs_args_upto(env, info, want, want, argv);
}

bool vxs_arg_optional_u32(napi_env env, napi_value v, const char *name, uint32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  return t == napi_undefined || vxs_arg_u32(env, v, name, out);
}

static bool expect_type(napi_env env, napi_value v, napi_valuetype want, const char *name,
                        const char *what) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  if (t != want) {
    vxs_throw_type(env, "%s must be %s", name, what);
    return false;
  }
  return true;
}

bool vxs_arg_i32(napi_env env, napi_value v, const char *name, int32_t *out) {
  if (!expect_type(env, v, napi_number, name, "a number")) return false;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

bool vxs_arg_u32(napi_env env, napi_value v, const char *name, uint32_t *out) {
  if (!expect_type(env, v, napi_number, name, "a number")) return false;
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d) {
    vxs_throw_range(env, "%s must be an integer in 0..4294967295, got %g", name, d);
    return false;
  }
  *out = (uint32_t)d;
  return true;
}

bool vxs_arg_fd(napi_env env, napi_value v, int *out) {
  int32_t fd;
  if (!vxs_arg_i32(env, v, "fd", &fd)) return false;
  if (fd < 0) {
    vxs_throw_range(env, "fd must be >= 0, got %d", fd);
    return false;
  }
  *out = fd;
  return true;
}

bool vxs_arg_bool(napi_env env, napi_value v, const char *name, bool *out) {
  if (!expect_type(env, v, napi_boolean, name, "a boolean")) return false;
  return napi_get_value_bool(env, v, out) == napi_ok;
}

bool vxs_arg_string(napi_env env, napi_value v, const char *name, char *buf, size_t cap) {
  if (!expect_type(env, v, napi_string, name, "a string")) return false;
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return false;
  if (len + 1 > cap) {
    vxs_throw_range(env, "%s is too long (%zu bytes, at most %zu)", name, len, cap - 1);
    return false;
  }
  return napi_get_value_string_utf8(env, v, buf, cap, &len) == napi_ok;
}

bool vxs_arg_ifname(napi_env env, napi_value v, const char *name, char *buf) {
  if (!expect_type(env, v, napi_string, name, "a string")) return false;
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return false;
  if (len == 0 || len >= IFNAMSIZ) {
    vxs_throw_range(env, "%s must be 1..%d characters, got %zu", name, IFNAMSIZ - 1, len);
    return false;
  }
  if (napi_get_value_string_utf8(env, v, buf, IFNAMSIZ, &len) != napi_ok) return false;
  for (size_t i = 0; i < len; i++) {
    if (buf[i] == '/' || buf[i] == ' ' || buf[i] == ':' || (unsigned char)buf[i] < 0x21) {
      vxs_throw_range(env, "%s \"%s\" is not a valid interface name", name, buf);
      return false;
    }
  }
  return true;
}

static bool typed(napi_env env, napi_value v, const char *name, napi_typedarray_type want,
                  const char *what, void **data, size_t *len) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok) return false;
  napi_typedarray_type t;
  if (is && napi_get_typedarray_info(env, v, &t, len, data, NULL, NULL) != napi_ok) return false;
  if (!is || t != want) {
    vxs_throw_type(env, "%s must be a %s", name, what);
    return false;
  }
  return true;
}

bool vxs_arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len) {
  return typed(env, v, name, napi_uint8_array, "Buffer or Uint8Array", (void **)data, len);
}

bool vxs_arg_u32s(napi_env env, napi_value v, const char *name, uint32_t **data, size_t *len) {
  return typed(env, v, name, napi_uint32_array, "Uint32Array", (void **)data, len);
}

bool vxs_arg_i32s(napi_env env, napi_value v, const char *name, int32_t **data, size_t *len) {
  return typed(env, v, name, napi_int32_array, "Int32Array", (void **)data, len);
}

bool vxs_arg_f64s(napi_env env, napi_value v, const char *name, double **data, size_t *len) {
  return typed(env, v, name, napi_float64_array, "Float64Array", (void **)data, len);
}

bool vxs_arg_u16s(napi_env env, napi_value v, const char *name, uint16_t **data, size_t *len) {
  return typed(env, v, name, napi_uint16_array, "Uint16Array", (void **)data, len);
}

bool vxs_arg_addr16(napi_env env, napi_value v, const char *name, const uint8_t **addr) {
  uint8_t *data;
  size_t len;
  if (!vxs_arg_bytes(env, v, name, &data, &len)) return false;
  if (len != 16) {
    vxs_throw_range(env, "%s must be 16 bytes (IPv6 or IPv4-mapped), got %zu", name, len);
    return false;
  }
  *addr = data;
  return true;
}

bool vxs_arg_function(napi_env env, napi_value v, const char *name) {
  return expect_type(env, v, napi_function, name, "a function");
}

static bool opt_get(napi_env env, napi_value obj, const char *key, napi_value *out, bool *present) {
  napi_valuetype t;
  *present = false;
  if (napi_typeof(env, obj, &t) != napi_ok) return false;
  if (t == napi_undefined || t == napi_null) return true;
  if (t != napi_object) {
    vxs_throw_type(env, "options must be an object");
    return false;
  }
  if (napi_get_named_property(env, obj, key, out) != napi_ok) return false;
  if (napi_typeof(env, *out, &t) != napi_ok) return false;
  *present = t != napi_undefined;
  return true;
}

bool vxs_opt_bool(napi_env env, napi_value obj, const char *key, bool dflt, bool *out) {
  napi_value v;
  bool present;
  if (!opt_get(env, obj, key, &v, &present)) return false;
  if (!present) {
    *out = dflt;
    return true;
  }
  return vxs_arg_bool(env, v, key, out);
}

bool vxs_opt_u32(napi_env env, napi_value obj, const char *key, uint32_t dflt, uint32_t *out) {
  napi_value v;
  bool present;
  if (!opt_get(env, obj, key, &v, &present)) return false;
  if (!present) {
    *out = dflt;
    return true;
  }
  return vxs_arg_u32(env, v, key, out);
}

bool vxs_check_slots(napi_env env, size_t slab_len, uint32_t slot, uint32_t headroom,
                     uint32_t max, size_t nlengths) {
  if (slot == 0 || headroom >= slot) {
    vxs_throw_range(env, "headroom (%u) must be smaller than slotSize (%u)", headroom, slot);
    return false;
  }
  if ((uint64_t)max * slot > slab_len) {
    vxs_throw_range(env, "slab of %zu bytes holds fewer than %u slots of %u bytes", slab_len, max,
                    slot);
    return false;
  }
  if (max > nlengths) {
    vxs_throw_range(env, "lengths holds %zu entries, fewer than max (%u)", nlengths, max);
    return false;
  }
  return true;
}

bool vxs_check_regions(napi_env env, size_t slab_len, const uint32_t *offsets,
                       const uint32_t *lengths, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    if ((uint64_t)offsets[i] + lengths[i] > slab_len) {
      vxs_throw_range(env, "message %u (offset %u, length %u) lies outside the %zu-byte slab", i,
                      offsets[i], lengths[i], slab_len);
      return false;
    }
  }
  return true;
}

napi_value vxs_undefined(napi_env env) {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

napi_value vxs_u32(napi_env env, uint32_t n) {
  napi_value v;
  napi_create_uint32(env, n, &v);
  return v;
}

napi_value vxs_i32(napi_env env, int32_t n) {
  napi_value v;
  napi_create_int32(env, n, &v);
  return v;
}

napi_value vxs_bool(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

napi_value vxs_string(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

bool vxs_set_i32(napi_env env, napi_value obj, const char *key, int32_t n) {
  return napi_set_named_property(env, obj, key, vxs_i32(env, n)) == napi_ok;
}

bool vxs_set_bool(napi_env env, napi_value obj, const char *key, bool b) {
  return napi_set_named_property(env, obj, key, vxs_bool(env, b)) == napi_ok;
}

bool vxs_set_string(napi_env env, napi_value obj, const char *key, const char *s) {
  return napi_set_named_property(env, obj, key, vxs_string(env, s)) == napi_ok;
}

bool vxs_set_double(napi_env env, napi_value obj, const char *key, double d) {
  napi_value v;
  if (napi_create_double(env, d, &v) != napi_ok) return false;
  return napi_set_named_property(env, obj, key, v) == napi_ok;
}

bool vxs_export(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f) != napi_ok) return false;
  return napi_set_named_property(env, exports, name, f) == napi_ok;
}
