// Encrypted tunnels against docs/ENCRYPTION.md: key derivation and sealed packets (test vectors,
// checked against node:crypto as an independent implementation), the native open/seal, the
// replay window's edges and key rotation.
import { createCipheriv, createDecipheriv, hkdfSync } from "node:crypto";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadNative, type CryptoState } from "../../../src/io/native.js";
import { parseKey, readKeyFile } from "../../../src/io/key-file.js";
import { CIPHERS, type CipherName } from "../../../src/dataplane/crypto-session.js";
import { validateConfig } from "../../../src/control/config.js";
import { overlayMtu } from "../../../src/wire/overhead.js";
import { decodePacket } from "../../../src/debug/decode.js";
import { formatPacket } from "../../../src/debug/format.js";

const addon = loadNative();

// --- Test vectors (docs/ENCRYPTION.md, "Test vectors") ---
const PSK = Buffer.from([...Array(32).keys()]);
const mapped = (a: string): Buffer => Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...a.split(".").map(Number)]);
const H1 = mapped("198.18.0.1");
const H2 = mapped("198.18.0.2");
const EPOCH = 0x6a000000;
const FRAME = Buffer.from("ffffffffffff02000000000108060001080006040001020000000001c0a80001000000000000c0a80002", "hex");
const VECTORS: Record<CipherName, { key: string; packet: string }> = {
  "aes-256-gcm": {
    key: "c587f31bb68f97fe30d32911456823430b246a6e98ee837efeae4b958a6750e6",
    packet: "4000000000002a006a0000000000000000000001fa6111bc842acc14c49dc6923f46056375562139fb03efc96c773077abe3dd49eb4b1071dc54a161fa211ab9b0bcfa65eb40a233ad50e3845d7e",
  },
  "chacha20-poly1305": {
    key: "022f2e9a235f5822bd59ca87d70cdefcc59333729b7c92978cfb62ecae5cb77b",
    packet: "4000000000002a006a000000000000000000000191966449624fc00bd57b85d506b71cce4438f7786632f372c1cea4af3cccd136ce03f9135f56b67a4d8c08f6fa0b6b1f4fa97bc7bdf23a758ccf",
  },
};

/** The key for sender -> receiver in epoch, by RFC 5869 as node:crypto implements it. */
function deriveKey(cipher: CipherName, epoch: number, sender: Buffer, receiver: Buffer): Buffer {
  const e = Buffer.alloc(4);
  e.writeUInt32BE(epoch);
  const info = Buffer.concat([Buffer.from("vxswitch key"), Buffer.from([CIPHERS[cipher]]), e, sender, receiver]);
  return Buffer.from(hkdfSync("sha256", PSK, Buffer.from("vxswitch encryption v1"), info, 32));
}

/** A sealed VXLAN packet (VNI 42) built with node:crypto. */
function sealWithNode(cipher: CipherName, epoch: number, counter: bigint, frame: Buffer, sender = H1, receiver = H2): Buffer {
  const hdr = Buffer.from("4000000000002a00", "hex");
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(epoch, 0);
  nonce.writeBigUInt64BE(counter, 4);
  const key = deriveKey(cipher, epoch, sender, receiver);
  // (Two calls: node's typings have one overload per AEAD family.)
  const c = cipher === "aes-256-gcm" ? createCipheriv(cipher, key, nonce, { authTagLength: 16 }) : createCipheriv(cipher, key, nonce, { authTagLength: 16 });
  c.setAAD(Buffer.concat([hdr, nonce]));
  return Buffer.concat([hdr, nonce, c.update(frame), c.final(), c.getAuthTag()]);
}

const SLOT = 2048;
const HEADROOM = 64;

/** A receiver: h2's key state with h1 as peer slot 1. */
function receiver(cipher: CipherName): CryptoState {
  const s = addon.cryptoCreate(CIPHERS[cipher], PSK, H2, 600, 2 ** 31, EPOCH);
  addon.cryptoPeerAdd(s, 1, H1);
  return s;
}

/** Opens packets (one datagram each) natively; returns results in order ("opened" or a drop name) and the opened bytes. */
function openAll(state: CryptoState, packets: Buffer[]): { results: string[]; opened: Buffer[] } {
  const names = ["opened", "authFailed", "replayed", "truncated", "staleKey"];
  const results: string[] = [];
  const opened: Buffer[] = [];
  for (const p of packets) {
    const slab = Buffer.alloc(SLOT);
    p.copy(slab, HEADROOM);
    const lengths = new Uint32Array([p.length]);
    const counters = new Float64Array(5);
    addon.cryptoOpenBatch(state, slab, SLOT, HEADROOM, lengths, new Uint16Array(1), new Int32Array([1]), 1, 0, counters);
    results.push(names[counters.findIndex((c) => c > 0)] ?? "untouched");
    opened.push(slab.subarray(HEADROOM, HEADROOM + lengths[0]!));
  }
  return { results, opened };
}

describe("key derivation and sealed packets match the test vectors", () => {
  for (const cipher of Object.keys(VECTORS) as CipherName[]) {
    it(`derives the ${cipher} key for 198.18.0.1 -> 198.18.0.2, epoch 0x6a000000 (HKDF-SHA256)`, () => {
      expect(deriveKey(cipher, EPOCH, H1, H2).toString("hex")).toBe(VECTORS[cipher].key);
    });

    it(`seals the ARP request of the vectors to the listed bytes (${cipher}, counter 1)`, () => {
      expect(sealWithNode(cipher, EPOCH, 1n, FRAME).toString("hex")).toBe(VECTORS[cipher].packet);
    });

    it(`opens the vector packet natively into [VXLAN header, flags 0x48][the frame] (${cipher})`, () => {
      const { results, opened } = openAll(receiver(cipher), [Buffer.from(VECTORS[cipher].packet, "hex")]);
      expect(results).toEqual(["opened"]);
      expect(opened[0]!.subarray(0, 8).toString("hex")).toBe("4800000000002a00");
      expect(opened[0]!.subarray(8).equals(FRAME)).toBe(true);
    });

    it(`seals natively what node:crypto opens with the derived key (${cipher})`, () => {
      const s = addon.cryptoCreate(CIPHERS[cipher], PSK, H1, 600, 2 ** 31, EPOCH);
      addon.cryptoPeerAdd(s, 7, H2);
      const pkt = Buffer.alloc(8 + 12 + FRAME.length + 16);
      Buffer.from("4000000000002a00", "hex").copy(pkt);
      FRAME.copy(pkt, 20);
      expect(addon.cryptoSeal(s, 7, pkt, 0, 8, pkt.length)).toBe(true);
      const epoch = pkt.readUInt32BE(8);
      expect(epoch).toBeGreaterThanOrEqual(EPOCH);
      expect(pkt.readBigUInt64BE(12)).toBeLessThan(2n ** 62n);
      const key = deriveKey(cipher, epoch, H1, H2);
      const iv = pkt.subarray(8, 20);
      const d = cipher === "aes-256-gcm" ? createDecipheriv(cipher, key, iv, { authTagLength: 16 }) : createDecipheriv(cipher, key, iv, { authTagLength: 16 });
      d.setAAD(pkt.subarray(0, 20));
      d.setAuthTag(pkt.subarray(pkt.length - 16));
      const plain = Buffer.concat([d.update(pkt.subarray(20, pkt.length - 16)), d.final()]);
      expect(plain.equals(FRAME)).toBe(true);
    });
  }

  it("refuses the vector packet at a receiver that takes it for another sender's (sender bound into the key)", () => {
    const s = addon.cryptoCreate(CIPHERS["aes-256-gcm"], PSK, H2, 600, 2 ** 31, EPOCH);
    addon.cryptoPeerAdd(s, 1, mapped("198.18.0.3"));
    expect(openAll(s, [Buffer.from(VECTORS["aes-256-gcm"].packet, "hex")]).results).toEqual(["authFailed"]);
  });

  it("refuses a changed VNI (the tunnel header is authenticated)", () => {
    const p = Buffer.from(VECTORS["aes-256-gcm"].packet, "hex");
    p[6] = 43;
    expect(openAll(receiver("aes-256-gcm"), [p]).results).toEqual(["authFailed"]);
  });
});

describe("vxswitch decode", () => {
  it("shows a sealed VXLAN packet's epoch and counter, not its ciphertext as a frame", () => {
    const text = formatPacket(decodePacket(Buffer.from(VECTORS["aes-256-gcm"].packet, "hex"), "vxlan", { number: 1 }));
    expect(text).toContain("vni 42 flags 0x40 (sealed)");
    expect(text).toContain(`epoch ${EPOCH} counter 1, 42 bytes sealed + 16-byte tag`);
    expect(text).not.toMatch(/eth|problem/i);
  });
});

describe("the replay window (2048 bits; 1984 counters behind the highest are still judged)", () => {
  const cipher: CipherName = "chacha20-poly1305";
  const at = (...counters: number[]): Buffer[] => counters.map((c) => sealWithNode(cipher, EPOCH, BigInt(c), FRAME));

  it("accepts reordering within the window and refuses every second copy", () => {
    expect(openAll(receiver(cipher), at(10, 12, 11, 12, 10, 13)).results).toEqual(["opened", "opened", "opened", "replayed", "replayed", "opened"]);
  });

  it("takes a counter 1983 behind the highest, refuses 1984 behind", () => {
    expect(openAll(receiver(cipher), at(5000, 5000 - 1983, 5000 - 1984)).results).toEqual(["opened", "opened", "replayed"]);
  });

  it("forgets nothing it must remember when the window jumps by more than its size", () => {
    expect(openAll(receiver(cipher), at(3, 100000, 3, 99999, 100000)).results).toEqual(["opened", "opened", "replayed", "opened", "replayed"]);
  });

  it("clears recycled words as the window slides one word at a time", () => {
    const counters = [...Array(4200).keys()];
    const { results } = openAll(receiver(cipher), at(...counters, 4199 - 1983, 4199 - 100, 4199));
    expect(results.slice(0, 4200).every((r) => r === "opened")).toBe(true);
    expect(results.slice(4200)).toEqual(["replayed", "replayed", "replayed"]);
  });

  it("counts a forged tag as authFailed, and a forgery does not move the window", () => {
    const forged = sealWithNode(cipher, EPOCH, 50n, FRAME);
    forged[forged.length - 1]! ^= 1;
    expect(openAll(receiver(cipher), [forged, ...at(50)]).results).toEqual(["authFailed", "opened"]);
  });

  it("counts packets shorter than header, crypto header and tag as truncated", () => {
    const p = at(1)[0]!;
    expect(openAll(receiver(cipher), [p.subarray(0, 35)]).results).toEqual(["truncated"]);
  });
});

describe("opening what the network sends (property)", () => {
  it("never delivers a datagram of arbitrary sealed-looking packets, and counts every one", () => {
    const rx = receiver("aes-256-gcm");
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 1900 }), fc.integer({ min: 0, max: 2000 }), (bytes, seg) => {
        const pkt = Buffer.from(bytes);
        pkt[0] = 0x40;
        const slab = Buffer.alloc(SLOT);
        pkt.copy(slab, HEADROOM);
        const lengths = Uint32Array.of(pkt.length);
        const segSizes = Uint16Array.of(seg);
        const counters = new Float64Array(5);
        addon.cryptoOpenBatch(rx, slab, SLOT, HEADROOM, lengths, segSizes, new Int32Array([1]), 1, 0, counters);
        const step = seg === 0 ? pkt.length : seg;
        expect(lengths[0]).toBe(0);
        expect(counters[0]).toBe(0);
        expect(counters.reduce((a, b) => a + b, 0)).toBe(Math.ceil(pkt.length / step));
      }),
      { numRuns: 300 },
    );
  });
});

describe("key epochs and rotation", () => {
  const cipher: CipherName = "aes-256-gcm";

  it("accepts the current and the previous epoch, refuses older ones as staleKey", () => {
    const p = (epoch: number, counter: number): Buffer => sealWithNode(cipher, epoch, BigInt(counter), FRAME);
    const { results } = openAll(receiver(cipher), [p(EPOCH, 1), p(EPOCH + 1, 1), p(EPOCH, 2), p(EPOCH + 2, 1), p(EPOCH, 3), p(EPOCH + 1, 2)]);
    expect(results).toEqual(["opened", "opened", "opened", "opened", "staleKey", "opened"]);
  });

  it("rotates the tx key after rotatePackets packets: a new epoch, counters from a new random start", () => {
    const s = addon.cryptoCreate(CIPHERS[cipher], PSK, H1, 600, 3, EPOCH);
    addon.cryptoPeerAdd(s, 1, H2);
    const rx = receiver(cipher);
    const sent: Buffer[] = [];
    for (let i = 0; i < 7; i++) {
      const pkt = Buffer.alloc(20 + FRAME.length + 16);
      Buffer.from("4000000000002a00", "hex").copy(pkt);
      FRAME.copy(pkt, 20);
      expect(addon.cryptoSeal(s, 1, pkt, 0, 8, pkt.length)).toBe(true);
      sent.push(pkt);
    }
    const epochs = sent.map((p) => p.readUInt32BE(8) - sent[0]!.readUInt32BE(8));
    expect(epochs).toEqual([0, 0, 0, 1, 1, 1, 2]);
    expect(sent[4]!.readBigUInt64BE(12) - sent[3]!.readBigUInt64BE(12)).toBe(1n);
    expect(addon.cryptoCounters(s).txRotations).toBe(2);
    // The receiver follows, and a late packet of the epoch before still opens.
    const { results } = openAll(rx, [sent[0]!, sent[3]!, sent[6]!, sent[5]!, sent[1]!]);
    expect(results).toEqual(["opened", "opened", "opened", "opened", "staleKey"]);
    expect(addon.cryptoCounters(rx).rxRotations).toBe(3);
  });
});

describe("key files", () => {
  const dir = mkdtempSync(join(tmpdir(), "vxs-key-"));

  it("reads 32 bytes of base64 or hex", () => {
    expect(parseKey(PSK.toString("base64"), "k")).toEqual(PSK);
    expect(parseKey(`${PSK.toString("hex")}\n`, "k")).toEqual(PSK);
    expect(() => parseKey("too short", "k")).toThrow(/vxswitch genkey/);
  });

  it("refuses a key file that group or others can read", () => {
    const path = join(dir, "loose.key");
    writeFileSync(path, PSK.toString("base64"));
    chmodSync(path, 0o640);
    expect(() => readKeyFile(path)).toThrow(/chmod 600/);
    chmodSync(path, 0o600);
    expect(readKeyFile(path)).toEqual(PSK);
  });
});

describe("configuration", () => {
  const base = { local: "198.18.0.1", peers: ["198.18.0.2"], segments: [{ vni: 42, tap: "vx42" }, { vni: 43, tap: "vx43" }] };

  it("leaves VXLAN over a 1500-byte IPv4 underlay an overlay MTU of 1422 when sealed (GRE with key: 1430)", () => {
    expect(overlayMtu(1500, "vxlan", 4, 0, true)).toBe(1422);
    expect(overlayMtu(1500, "vxlan", 6, 0, true)).toBe(1402);
    expect(overlayMtu(1500, "gre", 4, 1, true)).toBe(1430);
  });

  it("defaults to aes-256-gcm, every segment, rotation every 600 s", () => {
    const cfg = validateConfig({ ...base, encryption: { keyFile: "/k" } });
    expect(cfg.encryption).toEqual({ keyFile: "/k", cipher: "aes-256-gcm", rotateSeconds: 600 });
  });

  it("refuses a sealed segment that does not exist, group mode and GRE checksums", () => {
    expect(() => validateConfig({ ...base, encryption: { keyFile: "/k", segments: [44] } })).toThrow(/encryption\.segments\[0\]: no segment has VNI 44/);
    expect(() => validateConfig({ ...base, peers: [], group: "239.1.1.1", encryption: { keyFile: "/k" } })).toThrow(/configured peers/);
  });
});
