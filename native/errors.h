// Errors thrown to JS: errno -> Error with .code/.errno/.syscall and a message a person can act on.
#ifndef VXS_ERRORS_H
#define VXS_ERRORS_H

#include <node_api.h>

#define VXS_HINT_ROOT "run as root or grant CAP_NET_ADMIN"
#define VXS_HINT_RAW "run as root or grant CAP_NET_RAW"

// "EPERM" for EPERM; "E123" for an errno without a name.
const char *vxs_errno_name(int err);

// Throws Error("<what>: <CODE> — <hint>") with code = errno name, errno = -err, syscall.
// hint NULL picks a generic one for the errno (privileges for EPERM/EACCES, else strerror).
void vxs_throw_errno(napi_env env, int err, const char *syscall, const char *hint,
                     const char *what_fmt, ...) __attribute__((format(printf, 5, 6)));

// The same Error, returned instead of thrown (NULL if it could not be made), e.g. for a callback.
napi_value vxs_errno_error(napi_env env, int err, const char *syscall, const char *hint,
                           const char *what_fmt, ...) __attribute__((format(printf, 5, 6)));

void vxs_throw_type(napi_env env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vxs_throw_range(napi_env env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
