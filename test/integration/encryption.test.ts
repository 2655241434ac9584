// Encrypted tunnels between vxswitch hosts (docs/ENCRYPTION.md): h1 and h2 share a key file, h3
// holds another. Traffic crosses sealed (no inner byte on the underlay); forged, replayed,
// truncated, clear and other-key packets are counted drops that never reach the TAP; keys
// rotate under iperf3 without a stall.
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { nsExec, nsExecResult, sleep } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess, type VxswitchStats } from "../../lab/vxswitch-process.js";
import { expectIperfThrough, keyFile } from "../helpers/encryption.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, stopThenDestroy, switchState } from "../helpers/lab.js";

cleanUpLabsAfterAll();

const TAP = "vxtap42";
/** ping -p: 16 bytes repeated through every echo payload; must never show on the underlay. */
const PATTERN = "5a17c0de5a17c0de9e11ab1e9e11ab1e";
const PATTERN_BYTES = PATTERN.match(/../g)!.join(":");

/** Sends a UDP payload (hex) to dst:4789 from src, `count` times, as-is or altered by `mode`. */
const INJECT_PY = `
import socket, sys, time
src, dst, hexpkt, mode, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
pkt = bytearray(bytes.fromhex(hexpkt))
# forge/payload: a counter above any sent (counters start below 2^62: bytes 12..19, top bit set),
# so the tag, not the replay window, must refuse it.
if mode == "forge":
    pkt[12] |= 0x80
    pkt[-1] ^= 0x01
elif mode == "truncate":
    pkt = pkt[:30]
elif mode == "clear":
    pkt[0] = 0x08
elif mode == "payload":
    pkt[12] |= 0x80
    pkt[40] ^= 0x80
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
for _ in range(count):
    s.sendto(bytes(pkt), (dst, 4789))
    time.sleep(0.01)
`;


const drops = (s: VxswitchStats, reason: string): number => s.ingress.drops[reason] ?? 0;

describeLab("encrypted tunnels (three hosts, VNI 42; h3 holds another key)", () => {
  let lab: Lab;
  const vx: (VxswitchProcess | undefined)[] = [];
  let shared = "";
  const state = (): Promise<string> => switchState(vx.map((v, i) => ({ name: `h${i + 1}`, vx: v })));
  const startOn = (index: number, key: string, extraArgs: string[] = []): Promise<VxswitchProcess> => {
    const host = lab.host(index);
    return VxswitchProcess.start(host.ns, { local: lab.localOf(host), remotes: lab.remotesOf(host), vni: 42, tap: TAP, bridge: "br0", extraArgs: ["--key-file", key, ...extraArgs] });
  };

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 3, label: "crypt" });
    await lab.checkUnderlay();
    shared = keyFile("shared.key");
    const other = keyFile("other.key");
    vx[0] = await startOn(1, shared);
    vx[1] = await startOn(2, shared);
    vx[2] = await startOn(3, other);
  }, 60_000);

  afterAll(() => stopThenDestroy(lab, ...vx));

  it("refuses a key file that group or others can read, saying how to fix it", async () => {
    const loose = keyFile("loose.key");
    chmodSync(loose, 0o644);
    const host = lab.host(1);
    const r = await nsExecResult(host.ns, ["node", join(process.cwd(), "bin/vxswitch.js"), "up", "--local", lab.localOf(host), "--vni", "7", "--tap", "vxtap7", "--key-file", loose, "--dry-run"]);
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/chmod 600/);
  });

  it("pings (ARP first) across, and the underlay never carries the payload pattern", async () => {
    const capture = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in", snaplen: 2048 });
    const out = await nsExec(lab.container(1).ns, ["ping", "-n", "-c", "5", "-i", "0.2", "-W", "1", "-p", PATTERN, lab.container(2).address]).finally(() => capture.stop());
    expect(out, await state()).toMatch(/5 packets transmitted, 5 received/);
    expect(await capture.count(`udp.dstport == 4789 && ip.src == 198.18.0.1 && ip.dst == 198.18.0.2`)).toBeGreaterThanOrEqual(5);
    expect(await capture.count(`frame contains ${PATTERN_BYTES}`), await capture.summary()).toBe(0);
    expect(await capture.count("arp || icmp"), "no inner ARP or ICMP visible to tshark").toBe(0);
  });

  it("carries iperf3 TCP across", async () => {
    await expectIperfThrough(lab.container(1), lab.container(2), state);
  });

  it("drops h3's packets (another key) as authFailed, and nothing from h3 reaches h1's TAP", async () => {
    // A static neighbour entry: three echo requests go out (flooded, sealed under h3's key), not ARP retries.
    const c3 = lab.container(3);
    await nsExec(c3.ns, ["ip", "neigh", "replace", lab.container(1).address, "lladdr", lab.container(1).mac, "dev", c3.ifname]);
    const before = await vx[0]!.stats();
    const r = await ping(c3.ns, lab.container(1).address, { count: 3, interval: 0.2 });
    expect(r.received).toBe(0);
    const after = await vx[0]!.stats();
    expect(drops(after, "authFailed") - drops(before, "authFailed"), await state()).toBeGreaterThanOrEqual(3);
    expect(after.ingress.frames - before.ingress.frames, "frames delivered to h1's TAP meanwhile").toBe(0);
  });

  it("drops replayed, forged, truncated and clear packets from h2's address, counted, none delivered", async () => {
    // A real sealed echo request h2 -> h1, as the underlay saw it.
    const capture = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789 and src host 198.18.0.2", direction: "in", snaplen: 2048 });
    await nsExec(lab.container(2).ns, ["ping", "-n", "-c", "1", "-s", "200", "-p", PATTERN, lab.container(1).address]).finally(() => capture.stop());
    const payloads = (await capture.fields(["udp.payload"], "udp.length > 200")).map((f) => f[0]!.replaceAll(":", ""));
    expect(payloads.length, await capture.summary()).toBeGreaterThan(0);
    const sealed = payloads[0]!;
    expect(sealed.slice(0, 2)).toBe("40");
    const tap = await Capture.start({ ns: lab.host(1).ns, iface: TAP, filter: "icmp", snaplen: 2048 });
    const before = await vx[0]!.stats();
    const inject = (mode: string, count: number): Promise<string> =>
      nsExec(lab.host(2).ns, ["python3", "-c", INJECT_PY, lab.localOf(lab.host(2)), lab.localOf(lab.host(1)), sealed, mode, String(count)]);
    await inject("replay", 5);
    await inject("forge", 4);
    await inject("payload", 3);
    await inject("truncate", 2);
    await inject("clear", 6);
    await sleep(300);
    await tap.stop();
    const after = await vx[0]!.stats();
    const delta = (reason: string): number => drops(after, reason) - drops(before, reason);
    expect(delta("replayed"), await state()).toBe(5);
    expect(delta("authFailed")).toBe(7);
    expect(delta("truncated")).toBe(2);
    expect(delta("cleartextRefused")).toBe(6);
    expect(await tap.count(`frame contains ${PATTERN_BYTES}`), await tap.summary()).toBe(0);
  });

  it("rotates keys every second under iperf3 without a stall, and pings still answer", async () => {
    await Promise.all([vx[0]!.stop(), vx[1]!.stop()]);
    vx[0] = await startOn(1, shared, ["--rotate-seconds", "1"]);
    vx[1] = await startOn(2, shared, ["--rotate-seconds", "1"]);
    await expectIperfThrough(lab.container(1), lab.container(2), state, 5);
    const s1 = await vx[0]!.status();
    const s2 = await vx[1]!.status();
    const enc = (s: Record<string, unknown>): Record<string, number> => s.encryption as Record<string, number>;
    expect(enc(s1).txRotations, JSON.stringify(s1.encryption)).toBeGreaterThanOrEqual(3);
    expect(enc(s2).rxRotations, JSON.stringify(s2.encryption)).toBeGreaterThanOrEqual(3);
    const stats = await vx[1]!.stats();
    expect(drops(stats, "staleKey"), await state()).toBe(0);
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 5, interval: 0.3 }), "c1 -> c2 after rotations", state);
  });
});
