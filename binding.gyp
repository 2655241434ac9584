{
  "targets": [
    {
      "target_name": "vxswitch_native",
      "sources": [
        "native/addon.c", "native/args.c", "native/errors.c", "native/counters.c",
        "native/sockaddr.c", "native/sockopt.c", "native/tap.c", "native/frames.c",
        "native/link.c", "native/poll.c", "native/mmsg.c", "native/udp.c", "native/gre.c",
        "native/offload_csum.c", "native/offload_tso.c", "native/offload_gro.c",
        "native/abi.c", "native/batch_args.c", "native/spin.c",
        "native/crypto_keys.c", "native/crypto_replay.c", "native/crypto_seal.c", "native/crypto_api.c"
      ],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
