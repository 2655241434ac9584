// fd readiness: a uv_poll_t on Node's loop that calls one JS function per readable wakeup
// (with an Error argument, once, when polling the fd failed).
#include <errno.h>
#include <stdlib.h>
#include <uv.h>

#include "addon.h"
#include "args.h"
#include "errors.h"

struct vxs_poll {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int fd;
  int owners;          // the JS handle object and the libuv handle; freed when both let go
  bool active;         // between pollStart and pollStop
  bool in_callback;
  bool destroy_async;  // pollStop ran inside the callback: destroy the async context after it
};

static const napi_type_tag poll_tag = {0x7678737770306c6cULL, 0x2d706f6c6c2d7631ULL};

static void release(struct vxs_poll *p) {
  if (--p->owners == 0) free(p);
}

static void on_close(uv_handle_t *h) { release((struct vxs_poll *)h->data); }

static void on_finalize(napi_env env, void *data, void *hint) { release(data); }

static void on_cleanup(void *data);

// Stops watching, lets libuv close the handle (which releases the loop), drops the callback.
static void stop(struct vxs_poll *p, bool from_cleanup_hook) {
  if (!p->active) return;
  p->active = false;
  uv_poll_stop(&p->handle);
  uv_close((uv_handle_t *)&p->handle, on_close);
  napi_delete_reference(p->env, p->callback);
  p->callback = NULL;
  if (p->in_callback) {
    p->destroy_async = true;
  } else {
    napi_async_destroy(p->env, p->async);
    p->async = NULL;
  }
  if (!from_cleanup_hook) napi_remove_env_cleanup_hook(p->env, on_cleanup, p);
}

// The environment is going away (process exit, worker termination) with the poll still running.
static void on_cleanup(void *data) { stop(data, true); }

static void on_poll(uv_poll_t *h, int status, int events) {
  struct vxs_poll *p = h->data;
  if (!p->active) return;
  // On a poll error (libuv reports EPOLLERR as UV_EBADF) libuv would keep reporting it: stop
  // polling and hand the error to the callback, which decides to re-arm (pollStart again) or
  // give up. Without it the handle would sit stopped but "active" and the loop stall silently.
  if (status < 0) uv_poll_stop(h);
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, result, err = NULL;
  if (status < 0)
    err = vxs_errno_error(env, -status, "uv_poll", "the fd reported an error; watch it again or close it",
                          "polling fd %d failed", p->fd);
  if (napi_get_reference_value(env, p->callback, &cb) == napi_ok && cb != NULL &&
      napi_get_global(env, &recv) == napi_ok) {
    p->in_callback = true;
    // make_callback (not call_function): runs process.nextTick and microtasks afterwards,
    // and keeps async_hooks / AsyncLocalStorage context right. Its receiver must be an object.
    // A throw from the callback becomes an uncaught exception: callers that must survive it
    // (src/io/fd-watch.ts) catch inside the callback.
    napi_status st = napi_make_callback(env, p->async, recv, cb, err != NULL ? 1 : 0, &err, &result);
    p->in_callback = false;
    if (st == napi_pending_exception) {
      napi_value exc;
      if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
    }
  }
  if (p->destroy_async) {
    p->destroy_async = false;
    napi_async_destroy(env, p->async);
    p->async = NULL;
  }
  napi_close_handle_scope(env, scope);
}

// pollStart(fd, onReadable(err?)) -> handle
static napi_value poll_start(napi_env env, napi_callback_info info) {
  napi_value argv[2], ext, name;
  int fd;
  if (!vxs_args(env, info, 2, argv) || !vxs_arg_fd(env, argv[0], &fd) ||
      !vxs_arg_function(env, argv[1], "onReadable"))
    return NULL;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;

  struct vxs_poll *p = calloc(1, sizeof *p);
  if (p == NULL) {
    vxs_throw_errno(env, ENOMEM, "calloc", NULL, "cannot watch fd %d", fd);
    return NULL;
  }
  p->env = env;
  p->fd = fd;
  p->handle.data = p;
  int rc = uv_poll_init(loop, &p->handle, fd);
  if (rc < 0) {
    free(p);
    const char *hint = rc == UV_EEXIST ? "another watcher is already polling this fd; stop it first"
                     : rc == UV_EBADF  ? "the fd is not open"
                                       : NULL;
    vxs_throw_errno(env, -rc, "uv_poll_init", hint, "cannot watch fd %d", fd);
    return NULL;
  }
  p->owners = 1;  // the libuv handle, from here on released by uv_close
  if (napi_create_reference(env, argv[1], 1, &p->callback) != napi_ok ||
      napi_create_string_utf8(env, "vxswitch:poll", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &p->async) != napi_ok) {
    if (p->callback) napi_delete_reference(env, p->callback);
    uv_close((uv_handle_t *)&p->handle, on_close);
    return NULL;
  }
  rc = uv_poll_start(&p->handle, UV_READABLE, on_poll);
  if (rc < 0) {
    napi_delete_reference(env, p->callback);
    napi_async_destroy(env, p->async);
    uv_close((uv_handle_t *)&p->handle, on_close);
    vxs_throw_errno(env, -rc, "uv_poll_start", NULL, "cannot watch fd %d", fd);
    return NULL;
  }
  p->active = true;
  p->owners = 2;  // + the JS handle object
  if (napi_create_external(env, p, on_finalize, NULL, &ext) != napi_ok) {
    p->owners = 1;
    stop(p, true);
    return NULL;
  }
  napi_type_tag_object(env, ext, &poll_tag);
  napi_add_env_cleanup_hook(env, on_cleanup, p);
  return ext;
}

static struct vxs_poll *poll_arg(napi_env env, napi_value v) {
  bool ok = false;
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) == napi_ok && t == napi_external)
    napi_check_object_type_tag(env, v, &poll_tag, &ok);
  if (!ok || napi_get_value_external(env, v, &data) != napi_ok) {
    vxs_throw_type(env, "handle must be a value returned by pollStart");
    return NULL;
  }
  return data;
}

// pollStop(handle): idempotent.
static napi_value poll_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!vxs_args(env, info, 1, argv)) return NULL;
  struct vxs_poll *p = poll_arg(env, argv[0]);
  if (p == NULL) return NULL;
  stop(p, false);
  return vxs_undefined(env);
}

// pollSetRef(handle, ref): whether this poll alone keeps the process alive (uv_ref/uv_unref).
static napi_value poll_set_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  bool ref;
  if (!vxs_args(env, info, 2, argv) || !vxs_arg_bool(env, argv[1], "ref", &ref)) return NULL;
  struct vxs_poll *p = poll_arg(env, argv[0]);
  if (p == NULL) return NULL;
  if (p->active) {
    if (ref) uv_ref((uv_handle_t *)&p->handle);
    else uv_unref((uv_handle_t *)&p->handle);
  }
  return vxs_undefined(env);
}

bool vxs_register_poll(napi_env env, napi_value exports) {
  return vxs_export(env, exports, "pollStart", poll_start) &&
         vxs_export(env, exports, "pollStop", poll_stop) &&
         vxs_export(env, exports, "pollSetRef", poll_set_ref);
}
