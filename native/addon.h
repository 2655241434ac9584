// Registration entry points of the addon's files, called once from addon.c.
#ifndef VXS_ADDON_H
#define VXS_ADDON_H

#include <node_api.h>
#include <stdbool.h>

bool vxs_register_tap(napi_env env, napi_value exports);
bool vxs_register_frames(napi_env env, napi_value exports);
bool vxs_register_link(napi_env env, napi_value exports);
bool vxs_register_poll(napi_env env, napi_value exports);
bool vxs_register_udp(napi_env env, napi_value exports);
bool vxs_register_gre(napi_env env, napi_value exports);
bool vxs_register_offload_csum(napi_env env, napi_value exports);
bool vxs_register_tso(napi_env env, napi_value exports);
bool vxs_register_gro(napi_env env, napi_value exports);
bool vxs_register_abi(napi_env env, napi_value exports);
bool vxs_register_spin(napi_env env, napi_value exports);
bool vxs_register_crypto(napi_env env, napi_value exports);

#endif
