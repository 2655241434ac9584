// Errors thrown to JS: errno -> Error with .code/.errno/.syscall and a message a person can act on.
#include "errors.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
#define HAVE_STRERRORNAME_NP 1
#endif

#ifndef HAVE_STRERRORNAME_NP
// The errnos this addon meets, for C libraries without strerrorname_np.
static const char *errno_table(int err) {
  switch (err) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(EINTR) E(EIO) E(ENXIO) E(EBADF) E(EAGAIN) E(ENOMEM) E(EACCES)
    E(EFAULT) E(EBUSY) E(EEXIST) E(ENODEV) E(EINVAL) E(ENOSPC) E(ERANGE) E(ENOPKG)
    E(ENOTSOCK) E(EMSGSIZE) E(ENOPROTOOPT) E(EPROTONOSUPPORT) E(EOPNOTSUPP) E(EAFNOSUPPORT)
    E(EADDRINUSE) E(EADDRNOTAVAIL) E(ENETDOWN) E(ENETUNREACH) E(ENOBUFS) E(EHOSTUNREACH)
    E(ECONNREFUSED) E(ELOOP) E(EBADFD)
#undef E
    default: return NULL;
  }
}
#endif

const char *vxs_errno_name(int err) {
  static __thread char unknown[16];
#ifdef HAVE_STRERRORNAME_NP
  const char *name = strerrorname_np(err);
#else
  const char *name = errno_table(err);
#endif
  if (name != NULL) return name;
  snprintf(unknown, sizeof unknown, "E%d", err);
  return unknown;
}

static const char *generic_hint(int err, char *buf, size_t cap) {
  switch (err) {
    case EPERM:
    case EACCES:
      return VXS_HINT_ROOT;
    case ENODEV:
      return "no such network interface in this network namespace";
    case EADDRNOTAVAIL:
      return "that address is not configured on an interface in this network namespace";
    case EADDRINUSE:
      return "the address and port are already in use (another vxswitch, or a kernel vxlan?)";
    default: {
      // strerror text, first letter lowered so it reads as part of the sentence.
      snprintf(buf, cap, "%s", strerror(err));
      if (buf[0] != '\0' && !(buf[1] != '\0' && isupper((unsigned char)buf[1])))
        buf[0] = (char)tolower((unsigned char)buf[0]);
      return buf;
    }
  }
}

static napi_value make_with(napi_env env, const char *code, const char *msg, int err,
                            const char *syscall, int kind) {
  napi_value jcode, jmsg, error;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &jcode) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &jmsg) != napi_ok) return NULL;
  napi_status st;
  if (kind == 1) st = napi_create_type_error(env, jcode, jmsg, &error);
  else if (kind == 2) st = napi_create_range_error(env, jcode, jmsg, &error);
  else st = napi_create_error(env, jcode, jmsg, &error);
  if (st != napi_ok) return NULL;
  if (err != 0) {
    napi_value jerrno, jsys;
    if (napi_create_int32(env, -err, &jerrno) == napi_ok)
      napi_set_named_property(env, error, "errno", jerrno);
    if (syscall != NULL && napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &jsys) == napi_ok)
      napi_set_named_property(env, error, "syscall", jsys);
  }
  return error;
}

static void throw_with(napi_env env, const char *code, const char *msg, int err,
                       const char *syscall, int kind) {
  napi_value error = make_with(env, code, msg, err, syscall, kind);
  if (error != NULL) napi_throw(env, error);
}

static napi_value errno_error(napi_env env, int err, const char *syscall, const char *hint,
                              const char *what_fmt, va_list ap, bool do_throw) {
  char what[256], hintbuf[128], msg[512];
  vsnprintf(what, sizeof what, what_fmt, ap);
  if (hint == NULL) hint = generic_hint(err, hintbuf, sizeof hintbuf);
  const char *code = vxs_errno_name(err);
  snprintf(msg, sizeof msg, "%s: %s \xe2\x80\x94 %s", what, code, hint);
  if (!do_throw) return make_with(env, code, msg, err, syscall, 0);
  throw_with(env, code, msg, err, syscall, 0);
  return NULL;
}

void vxs_throw_errno(napi_env env, int err, const char *syscall, const char *hint,
                     const char *what_fmt, ...) {
  va_list ap;
  va_start(ap, what_fmt);
  errno_error(env, err, syscall, hint, what_fmt, ap, true);
  va_end(ap);
}

napi_value vxs_errno_error(napi_env env, int err, const char *syscall, const char *hint,
                           const char *what_fmt, ...) {
  va_list ap;
  va_start(ap, what_fmt);
  napi_value e = errno_error(env, err, syscall, hint, what_fmt, ap, false);
  va_end(ap);
  return e;
}

void vxs_throw_type(napi_env env, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  throw_with(env, "ERR_INVALID_ARG_TYPE", msg, 0, NULL, 1);
}

void vxs_throw_range(napi_env env, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  throw_with(env, "ERR_OUT_OF_RANGE", msg, 0, NULL, 2);
}
