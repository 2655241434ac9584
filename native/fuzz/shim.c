// The argument helpers of args.h, errors.h and counters.h over the fuzz harness's values: the
// same checks as native/args.c, minus JS. Keep vxs_check_slots in step with args.c.
#include "shim.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "counters.h"
#include "errors.h"

static struct vxs_fuzz_value results[4];
static unsigned next_result;

static struct {
  const char *name;
  napi_callback fn;
} exported[16];
static unsigned nexported;

napi_value vxs_fuzz_bytes(struct vxs_fuzz_value *v, uint8_t *p, size_t n) {
  *v = (struct vxs_fuzz_value){FUZZ_BYTES, p, n, 0};
  return v;
}
napi_value vxs_fuzz_u32s(struct vxs_fuzz_value *v, uint32_t *p, size_t n) {
  *v = (struct vxs_fuzz_value){FUZZ_U32S, p, n, 0};
  return v;
}
napi_value vxs_fuzz_u16s(struct vxs_fuzz_value *v, uint16_t *p, size_t n) {
  *v = (struct vxs_fuzz_value){FUZZ_U16S, p, n, 0};
  return v;
}
napi_value vxs_fuzz_number(struct vxs_fuzz_value *v, double d) {
  *v = (struct vxs_fuzz_value){FUZZ_NUMBER, NULL, 0, d};
  return v;
}
double vxs_fuzz_result(napi_value v) { return v == NULL ? -1e9 : v->number; }

napi_callback vxs_fuzz_export(const char *name) {
  for (unsigned i = 0; i < nexported; i++)
    if (strcmp(exported[i].name, name) == 0) return exported[i].fn;
  return NULL;
}

static bool fail(napi_env env, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(env->message, sizeof env->message, fmt, ap);
  va_end(ap);
  env->thrown = true;
  return false;
}

// A missing argument is NULL here (undefined in Node-API).
bool vxs_args_upto(napi_env env, napi_callback_info info, size_t want, size_t cap, napi_value *argv) {
  if (info->argc < want) return fail(env, "expected %zu arguments", want);
  for (size_t i = 0; i < cap; i++) argv[i] = i < info->argc ? info->argv[i] : NULL;
  return true;
}

bool vxs_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  return vxs_args_upto(env, info, want, want, argv);
}

bool vxs_arg_optional_u32(napi_env env, napi_value v, const char *name, uint32_t *out) {
  return v == NULL || vxs_arg_u32(env, v, name, out);
}

static bool typed(napi_env env, napi_value v, enum vxs_fuzz_kind k, const char *name, void **data,
                  size_t *len) {
  if (v == NULL || v->kind != k) return fail(env, "%s has the wrong type", name);
  *data = v->data;
  *len = v->count;
  return true;
}

bool vxs_arg_bytes(napi_env env, napi_value v, const char *name, uint8_t **data, size_t *len) {
  return typed(env, v, FUZZ_BYTES, name, (void **)data, len);
}
bool vxs_arg_u32s(napi_env env, napi_value v, const char *name, uint32_t **data, size_t *len) {
  return typed(env, v, FUZZ_U32S, name, (void **)data, len);
}
bool vxs_arg_u16s(napi_env env, napi_value v, const char *name, uint16_t **data, size_t *len) {
  return typed(env, v, FUZZ_U16S, name, (void **)data, len);
}

bool vxs_arg_u32(napi_env env, napi_value v, const char *name, uint32_t *out) {
  if (v == NULL || v->kind != FUZZ_NUMBER) return fail(env, "%s must be a number", name);
  if (!(v->number >= 0 && v->number <= 4294967295.0) || v->number != (double)(uint32_t)v->number)
    return fail(env, "%s must be an integer 0..2^32-1", name);
  *out = (uint32_t)v->number;
  return true;
}

bool vxs_check_slots(napi_env env, size_t slab_len, uint32_t slot, uint32_t headroom, uint32_t max,
                     size_t nlengths) {
  if (slot == 0 || headroom >= slot) return fail(env, "headroom must be smaller than slotSize");
  if ((uint64_t)max * slot > slab_len) return fail(env, "slab holds fewer than max slots");
  if (max > nlengths) return fail(env, "lengths holds fewer than max entries");
  return true;
}

void vxs_throw_range(napi_env env, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(env->message, sizeof env->message, fmt, ap);
  va_end(ap);
  env->thrown = true;
}

static napi_value number(double d) {
  struct vxs_fuzz_value *v = &results[next_result++ % 4];
  return vxs_fuzz_number(v, d);
}
napi_value vxs_u32(napi_env env, uint32_t v) { return number(v); }
napi_value vxs_i32(napi_env env, int32_t v) { return number(v); }

bool vxs_export(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  if (nexported == sizeof exported / sizeof exported[0]) return false;
  exported[nexported].name = name;
  exported[nexported].fn = fn;
  nexported++;
  return true;
}

void vxs_count(enum vxs_counter c, uint64_t n) {}
