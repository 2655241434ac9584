// The loops with sealed segments, on in-memory ports: what h1's egress sends opens at h2's ingress
// and reaches its TAP; floods are sealed once per peer; clear packets for a sealed segment, and
// sealed ones for a clear segment, are counted drops.
import { describe, expect, it } from "vitest";
import { parseAddress } from "../../../src/io/address.js";
import { CryptoSession } from "../../../src/dataplane/crypto-session.js";
import { SealedEncap } from "../../../src/dataplane/crypto-encap.js";
import { VxlanEncap } from "../../../src/dataplane/vxlan-encap.js";
import { buildRig, frame, vxlan, type Rig } from "../../helpers/dataplane-rig.js";

const PSK = Buffer.alloc(32, 0x5a);
const A = "02:00:00:00:00:0a";
const B = "02:00:00:00:00:0b";

/** A switch at `local` with peers and VNIs 42, 43; `sealed` of them encrypted (default 42 only). */
function sealedRig(local: string, peers: string[], sealed = [42]): Rig {
  const session = new CryptoSession({ cipher: "aes-256-gcm", psk: PSK, local16: parseAddress(local), rotateSeconds: 600, segments: sealed });
  const rig = buildRig([42, 43], peers, 64, new SealedEncap(new VxlanEncap(), session), { local });
  for (const p of rig.peers) session.addPeer(p);
  return rig;
}

/** Moves what `from` sent to `toAddress` into `to`'s socket, as coming from `fromAddress`. */
function deliver(from: Rig, fromAddress: string, to: Rig, toAddress: string): number {
  const packets = from.socket.sent.filter((p) => p.to === toAddress);
  for (const p of packets) to.socket.inbox.push({ from: fromAddress, bytes: p.bytes });
  from.socket.sent.length = 0;
  to.ingress.onReadable();
  return packets.length;
}

describe("sealed segments through the loops", () => {
  it("seals a frame on VNI 42 (flags 0x40, 28 bytes more) and h2 delivers it to its TAP unchanged", () => {
    const h1 = sealedRig("198.18.0.1", ["198.18.0.2"]);
    const h2 = sealedRig("198.18.0.2", ["198.18.0.1"]);
    const f = frame(B, A, 200);
    h1.taps[0]!.inbox.push(f);
    h1.egress[0]!.onReadable();
    const sent = h1.socket.sent[0]!.bytes;
    expect(sent[0]).toBe(0x40);
    expect(sent.length).toBe(8 + 12 + f.length + 16);
    expect(sent.includes(f.subarray(14, 60))).toBe(false);
    expect(deliver(h1, "198.18.0.1", h2, "198.18.0.2")).toBe(1);
    expect(h2.taps[0]!.written).toEqual([f]);
  });

  it("floods a broadcast to two peers sealed for each, both open it; VNI 43 stays clear", () => {
    const h1 = sealedRig("198.18.0.1", ["198.18.0.2", "198.18.0.3"]);
    const h2 = sealedRig("198.18.0.2", ["198.18.0.1", "198.18.0.3"]);
    const h3 = sealedRig("198.18.0.3", ["198.18.0.1", "198.18.0.2"]);
    const bcast = frame("ff:ff:ff:ff:ff:ff", A, 100);
    h1.taps[0]!.inbox.push(bcast);
    h1.egress[0]!.onReadable();
    const [to2, to3] = [h1.socket.sent.find((p) => p.to === "198.18.0.2")!, h1.socket.sent.find((p) => p.to === "198.18.0.3")!];
    expect(to2.bytes.equals(to3.bytes)).toBe(false);
    // Each peer's counters take the inner frame, as on every other send path.
    expect(h1.peers.map((p) => [p.txFrames, p.txBytes])).toEqual([[1, bcast.length], [1, bcast.length]]);
    const copy = [...h1.socket.sent];
    deliver(h1, "198.18.0.1", h2, "198.18.0.2");
    h1.socket.sent.push(...copy);
    deliver(h1, "198.18.0.1", h3, "198.18.0.3");
    expect(h2.taps[0]!.written).toEqual([bcast]);
    expect(h3.taps[0]!.written).toEqual([bcast]);
    h1.taps[1]!.inbox.push(bcast);
    h1.egress[1]!.onReadable();
    expect(h1.socket.sent.every((p) => p.bytes[0] === 0x08 && p.bytes.subarray(8).equals(bcast))).toBe(true);
  });

  it("refuses a clear packet for sealed VNI 42 (cleartextRefused) and a sealed one for clear VNI 43 (notEncrypted)", () => {
    // h1 seals VNI 43 too (a configuration that disagrees with h2's): the packet verifies at h2, which keeps 43 clear.
    const h1 = sealedRig("198.18.0.1", ["198.18.0.2"], [42, 43]);
    const h2 = sealedRig("198.18.0.2", ["198.18.0.1"]);
    h2.socket.inbox.push({ from: "198.18.0.1", bytes: vxlan(42, frame(B, A)) });
    h2.ingress.onReadable();
    h1.taps[1]!.inbox.push(frame(B, A));
    h1.egress[1]!.onReadable();
    expect(deliver(h1, "198.18.0.1", h2, "198.18.0.2")).toBe(1);
    const drops = h2.stats.ingress.toJSON().drops;
    expect(drops).toEqual({ cleartextRefused: 1, notEncrypted: 1 });
    expect(h2.taps[0]!.written).toEqual([]);
    expect(h2.taps[1]!.written).toEqual([]);
  });
});
