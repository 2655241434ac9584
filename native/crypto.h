// Encrypted tunnels (docs/ENCRYPTION.md): per-peer AEAD keys derived from a pre-shared key, the
// replay window, sealing and opening one packet. Node-API wrappers live in crypto_api.c.
#ifndef VXS_CRYPTO_H
#define VXS_CRYPTO_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"

// VXS_CRYPTO_HDR (epoch 4 bytes and counter 8, together the AEAD nonce) and VXS_CRYPTO_TAG: abi.h.
#define VXS_CRYPTO_OVERHEAD (VXS_CRYPTO_HDR + VXS_CRYPTO_TAG)
#define VXS_REPLAY_BITS 2048
#define VXS_REPLAY_WORDS (VXS_REPLAY_BITS / 64)
// Counters this far behind the highest one seen are still judged by the window (its last word
// is recycled when the window moves, so 64 fewer than its bits).
#define VXS_REPLAY_WINDOW (VXS_REPLAY_BITS - 64)
// Keys derived on demand for epochs a peer has not used before, per peer and second: a restart
// or a rotation needs one; a forger spraying epochs gets no more.
#define VXS_DERIVES_PER_SECOND 8

// enum vxs_cipher and enum vxs_open_result: abi.h.

struct vxs_replay {
  uint64_t top;  // highest accepted counter + 1; 0: none yet
  uint64_t bits[VXS_REPLAY_WORDS];
};

struct vxs_rx_key {
  EVP_CIPHER_CTX *ctx;
  uint32_t epoch;
  bool valid;
  struct vxs_replay replay;
};

struct vxs_crypto_peer {
  bool used;
  uint8_t addr[16];
  EVP_CIPHER_CTX *tx_ctx;
  bool tx_valid;
  uint32_t tx_epoch;
  uint64_t tx_counter;  // next counter to send
  uint64_t tx_start;    // first counter of this key
  uint64_t tx_born_ns;
  struct vxs_rx_key rx[3];
  uint8_t cur, prev, cand;  // roles of rx[]: current, previous, candidate for a newer epoch
  uint64_t derive_second;
  uint32_t derives;
};

struct vxs_crypto {
  int cipher;
  uint8_t prk[32];  // HKDF-Extract of the pre-shared key
  uint8_t local[16];
  uint64_t rotate_ns;
  uint64_t rotate_packets;
  uint32_t last_epoch;  // the newest epoch any tx key of this process got
  struct vxs_crypto_peer *peers;
  uint32_t npeers;
  double tx_rotations, rx_rotations, derivations;
};

const EVP_CIPHER *vxs_cipher_of(int cipher);
// HKDF-SHA256 (RFC 5869) Extract and one-block Expand.
bool vxs_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len, uint8_t prk[32]);
bool vxs_hkdf_expand32(const uint8_t prk[32], const uint8_t *info, size_t info_len, uint8_t out[32]);
// The key for packets from sender to receiver in epoch (docs/ENCRYPTION.md, "Keys").
bool vxs_derive_key(const struct vxs_crypto *c, uint32_t epoch, const uint8_t sender[16],
                    const uint8_t receiver[16], uint8_t key[32]);

bool vxs_crypto_init(struct vxs_crypto *c, int cipher, const uint8_t *psk, size_t psk_len, const uint8_t local[16],
                     uint64_t rotate_ns, uint64_t rotate_packets, uint32_t first_epoch);
void vxs_crypto_free(struct vxs_crypto *c);
bool vxs_crypto_peer_add(struct vxs_crypto *c, uint32_t slot, const uint8_t addr[16]);
void vxs_crypto_peer_remove(struct vxs_crypto *c, uint32_t slot);
struct vxs_crypto_peer *vxs_crypto_peer(struct vxs_crypto *c, int32_t slot);
// crypto_keys.c, for the seal and open path: a new tx key for peer p (the next epoch), and the
// candidate rx key for a newer epoch a packet names (rate-limited per peer and second).
bool vxs_tx_rekey(struct vxs_crypto *c, struct vxs_crypto_peer *p, uint64_t now_ns);
bool vxs_rx_derive(struct vxs_crypto *c, struct vxs_crypto_peer *p, uint32_t epoch, uint64_t now_ns);

// Replay window: whether counter may be accepted; record it once the packet verified.
bool vxs_replay_check(const struct vxs_replay *r, uint64_t counter);
void vxs_replay_update(struct vxs_replay *r, uint64_t counter);

// Seals p[0, total): hl bytes of tunnel header, the crypto header (written here), plaintext, and
// VXS_CRYPTO_TAG bytes of room at the end. False when no key could be made.
bool vxs_seal(struct vxs_crypto *c, struct vxs_crypto_peer *peer, uint8_t *p, uint32_t hl, uint32_t total,
              uint64_t now_ns);
// Opens p[0, len) in place (plaintext at p + hl + VXS_CRYPTO_HDR, len - hl - overhead bytes).
enum vxs_open_result vxs_open(struct vxs_crypto *c, struct vxs_crypto_peer *peer, uint8_t *p, uint32_t hl,
                              uint32_t len, uint64_t now_ns);

uint64_t vxs_now_ns(void);

#endif
