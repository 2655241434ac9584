// The numbers the addon and its TypeScript callers must agree on: record layouts, sizes, codes
// passed as arguments. Defined here once; abi.c exports them as the addon's `abi` object and
// src/io/native-abi.ts refuses to load an addon whose numbers differ from the ones TS was built
// with (an addon left over from another checkout would otherwise misread every record).
#ifndef VXS_ABI_H
#define VXS_ABI_H

// struct virtio_net_hdr without num_buffers: what a TAP with IFF_VNET_HDR puts before a frame.
#define VXS_VNET_HDR_LEN 10

// Largest encapsulation header template copied in front of each TSO segment (GRE with C, K, S),
// and the largest trailer (AEAD tag room) behind it.
#define VXS_ENCAP_MAX 32
// Segments one UDP_SEGMENT message of tsoSplit carries at most (UDP_MAX_SEGMENTS on older
// kernels; newer allow 128).
#define VXS_UDP_GSO_MAX_SEGS 64
// Smallest TCP segment size a super-frame may ask for: Linux never sends less than
// tcp_min_snd_mss, whose floor is 48 (FreeBSD's net.inet.tcp.minmss is 216, Windows' 88). Smaller
// gso_size values only come from a broken or hostile sender and would blow a 64 KiB frame up
// into thousands of header copies.
#define VXS_TSO_MIN_MSS 48

// Largest coalesced frame: an Ethernet header and 65535 bytes of IP (the IPv4 total length limit).
#define VXS_GRO_MAX_FRAME (14 + 65535)
// Free bytes groCoalesce keeps in front of each output vnet header, so a VLAN tag fits in place.
#define VXS_GRO_PAD 4
// Numbers per groCoalesce output record (see gro_coalesce in offload_gro.c).
#define VXS_GRO_RECORD 6
// groCoalesce's encapLen for GRE (TEB): the header length is read per packet from its flags.
#define VXS_GRO_ENCAP_GRE 255

// Per-message status of a batched send (udpSend / greSend).
enum { VXS_TX_SENT = 0, VXS_TX_FAILED = 1, VXS_TX_UNSENT = 2 };
// Length of a socket's Int32Array state: [family 4|6, UDP_SEGMENT on 1|0].
#define VXS_SOCK_STATE_LEN 2

// Encrypted tunnels (docs/ENCRYPTION.md): the crypto header (epoch 4 bytes, counter 8) behind the
// tunnel header, the AEAD tag behind the frame, and the marks of a sealed packet.
#define VXS_CRYPTO_HDR 12
#define VXS_CRYPTO_TAG 16
// VXLAN flags of a sealed packet: E set, I clear (other receivers drop it).
#define VXS_VXLAN_FLAGS_SEALED 0x40
// Ethertype of a sealed GRE payload (IEEE 802 local experimental 1): never mistaken for 0x6558.
#define VXS_GRE_PROTO_SEALED 0x88b5
enum vxs_cipher { VXS_CHACHA20_POLY1305 = 1, VXS_AES_256_GCM = 2 };
// cryptoOpenBatch's kind argument.
enum vxs_tunnel_kind { VXS_KIND_VXLAN = 0, VXS_KIND_GRE = 1 };
// Why a packet was not opened (index into the counters the open pass returns).
enum vxs_open_result {
  VXS_OPENED = 0,
  VXS_OPEN_AUTH = 1,       // tag did not verify: forged, corrupted, wrong key, another sender
  VXS_OPEN_REPLAY = 2,     // counter seen before, or too far behind the window
  VXS_OPEN_TRUNCATED = 3,  // shorter than tunnel header + crypto header + tag
  VXS_OPEN_STALE_KEY = 4,  // epoch older than the two a receiver keeps, or derivations rate-limited
  VXS_OPEN_RESULTS = 5,
};

#endif
