// Keys of encrypted tunnels: HKDF-SHA256 from the pre-shared key, one cipher context per key
// (made when a peer is added, re-keyed in place on rotation: nothing allocated per packet).
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

static const char SALT[] = "vxswitch encryption v1";
static const char INFO[] = "vxswitch key";

uint64_t vxs_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const EVP_CIPHER *vxs_cipher_of(int cipher) {
  return cipher == VXS_AES_256_GCM ? EVP_aes_256_gcm() : cipher == VXS_CHACHA20_POLY1305 ? EVP_chacha20_poly1305() : NULL;
}

bool vxs_hkdf_extract(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len, uint8_t prk[32]) {
  unsigned int n = 0;
  return HMAC(EVP_sha256(), salt, (int)salt_len, ikm, ikm_len, prk, &n) != NULL && n == 32;
}

bool vxs_hkdf_expand32(const uint8_t prk[32], const uint8_t *info, size_t info_len, uint8_t out[32]) {
  uint8_t msg[128];
  unsigned int n = 0;
  if (info_len + 1 > sizeof msg) return false;
  memcpy(msg, info, info_len);
  msg[info_len] = 1;  // T(1) = HMAC(PRK, info | 0x01): one block is the whole 32-byte key
  bool ok = HMAC(EVP_sha256(), prk, 32, msg, info_len + 1, out, &n) != NULL && n == 32;
  OPENSSL_cleanse(msg, sizeof msg);
  return ok;
}

bool vxs_derive_key(const struct vxs_crypto *c, uint32_t epoch, const uint8_t sender[16], const uint8_t receiver[16],
                    uint8_t key[32]) {
  uint8_t info[sizeof INFO - 1 + 1 + 4 + 16 + 16];
  size_t n = sizeof INFO - 1;
  memcpy(info, INFO, n);
  info[n++] = (uint8_t)c->cipher;
  info[n++] = (uint8_t)(epoch >> 24);
  info[n++] = (uint8_t)(epoch >> 16);
  info[n++] = (uint8_t)(epoch >> 8);
  info[n++] = (uint8_t)epoch;
  memcpy(info + n, sender, 16);
  memcpy(info + n + 16, receiver, 16);
  return vxs_hkdf_expand32(c->prk, info, sizeof info, key);
}

bool vxs_crypto_init(struct vxs_crypto *c, int cipher, const uint8_t *psk, size_t psk_len, const uint8_t local[16],
                     uint64_t rotate_ns, uint64_t rotate_packets, uint32_t first_epoch) {
  memset(c, 0, sizeof *c);
  if (vxs_cipher_of(cipher) == NULL) return false;
  c->cipher = cipher;
  memcpy(c->local, local, 16);
  c->rotate_ns = rotate_ns;
  c->rotate_packets = rotate_packets;
  // The first tx key gets first_epoch (wall-clock seconds): later than any a previous run used.
  c->last_epoch = first_epoch - 1;
  return vxs_hkdf_extract((const uint8_t *)SALT, sizeof SALT - 1, psk, psk_len, c->prk);
}

static void free_peer(struct vxs_crypto_peer *p) {
  EVP_CIPHER_CTX_free(p->tx_ctx);
  for (int i = 0; i < 3; i++) EVP_CIPHER_CTX_free(p->rx[i].ctx);
  memset(p, 0, sizeof *p);
}

void vxs_crypto_free(struct vxs_crypto *c) {
  for (uint32_t i = 0; i < c->npeers; i++)
    if (c->peers[i].used) free_peer(&c->peers[i]);
  free(c->peers);
  OPENSSL_cleanse(c->prk, sizeof c->prk);
  memset(c, 0, sizeof *c);
}

// A context bound to the cipher (no key yet), for one direction.
static EVP_CIPHER_CTX *new_ctx(const EVP_CIPHER *cipher, bool enc) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return NULL;
  int ok = enc ? EVP_EncryptInit_ex(ctx, cipher, NULL, NULL, NULL) : EVP_DecryptInit_ex(ctx, cipher, NULL, NULL, NULL);
  if (ok != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

bool vxs_crypto_peer_add(struct vxs_crypto *c, uint32_t slot, const uint8_t addr[16]) {
  if (slot >= c->npeers) {
    uint32_t n = slot + 8;
    struct vxs_crypto_peer *grown = realloc(c->peers, (size_t)n * sizeof *grown);
    if (grown == NULL) return false;
    memset(grown + c->npeers, 0, (size_t)(n - c->npeers) * sizeof *grown);
    c->peers = grown;
    c->npeers = n;
  }
  struct vxs_crypto_peer *p = &c->peers[slot];
  if (p->used) free_peer(p);
  const EVP_CIPHER *cipher = vxs_cipher_of(c->cipher);
  p->tx_ctx = new_ctx(cipher, true);
  for (int i = 0; i < 3; i++) p->rx[i].ctx = new_ctx(cipher, false);
  if (p->tx_ctx == NULL || p->rx[0].ctx == NULL || p->rx[1].ctx == NULL || p->rx[2].ctx == NULL) {
    free_peer(p);
    return false;
  }
  memcpy(p->addr, addr, 16);
  p->cur = 0;
  p->prev = 1;
  p->cand = 2;
  p->used = true;
  return true;
}

void vxs_crypto_peer_remove(struct vxs_crypto *c, uint32_t slot) {
  if (slot < c->npeers && c->peers[slot].used) free_peer(&c->peers[slot]);
}

struct vxs_crypto_peer *vxs_crypto_peer(struct vxs_crypto *c, int32_t slot) {
  if (slot < 0 || (uint32_t)slot >= c->npeers || !c->peers[slot].used) return NULL;
  return &c->peers[slot];
}

// A new tx key: the next epoch (never below wall-clock seconds, never reused in this process),
// a counter starting at a random point below 2^62 (a second guard against nonce reuse, should a
// clock step back across a restart and repeat an epoch).
bool vxs_tx_rekey(struct vxs_crypto *c, struct vxs_crypto_peer *p, uint64_t now_ns) {
  uint8_t key[32];
  uint64_t start = 0;
  uint32_t epoch = c->last_epoch + 1;
  uint32_t wall = (uint32_t)time(NULL);
  if (wall > epoch) epoch = wall;
  if (RAND_bytes((uint8_t *)&start, sizeof start) != 1) return false;
  start >>= 2;
  bool ok = vxs_derive_key(c, epoch, c->local, p->addr, key) &&
            EVP_EncryptInit_ex(p->tx_ctx, NULL, NULL, key, NULL) == 1;
  OPENSSL_cleanse(key, sizeof key);
  if (!ok) return false;
  c->last_epoch = epoch;
  if (p->tx_valid) c->tx_rotations++;
  p->tx_valid = true;
  p->tx_epoch = epoch;
  p->tx_start = start;
  p->tx_counter = start;
  p->tx_born_ns = now_ns;
  return true;
}

// Makes rx[cand] the key for epoch (rate-limited per peer and second).
bool vxs_rx_derive(struct vxs_crypto *c, struct vxs_crypto_peer *p, uint32_t epoch, uint64_t now_ns) {
  uint64_t second = now_ns / 1000000000u;
  if (second != p->derive_second) {
    p->derive_second = second;
    p->derives = 0;
  }
  if (p->derives >= VXS_DERIVES_PER_SECOND) return false;
  p->derives++;
  c->derivations++;
  struct vxs_rx_key *k = &p->rx[p->cand];
  uint8_t key[32];
  bool ok = vxs_derive_key(c, epoch, p->addr, c->local, key) && EVP_DecryptInit_ex(k->ctx, NULL, NULL, key, NULL) == 1;
  OPENSSL_cleanse(key, sizeof key);
  k->valid = ok;
  k->epoch = epoch;
  memset(&k->replay, 0, sizeof k->replay);
  return ok;
}
