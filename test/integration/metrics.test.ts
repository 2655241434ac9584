// The Prometheus endpoint of a running vxswitch, bound to its underlay address in a two-host lab and scraped from
// inside that host's namespace: frame counters follow the pings sent, a drop counter follows one injected bad packet.
import { afterAll, beforeAll, expect, it } from "vitest";
import { decodePacket } from "../../src/debug/decode.js";
import { nsExec } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, stopThenDestroy } from "../helpers/lab.js";

cleanUpLabsAfterAll();

const METRICS_PORT = 9464;
const PINGS = 10;

/** The value of one sample (`name{labels}` exactly as exposed), or 0 when it is absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

const framesOf = (text: string): number =>
  sample(text, 'vxswitch_frames_total{direction="egress"}') + sample(text, 'vxswitch_frames_total{direction="ingress"}');
const I_FLAG_DROPS = 'vxswitch_drops_total{direction="ingress",reason="vxlanFlagI"}';

/** A VXLAN packet with the I flag clear around a 60-byte broadcast frame: every receiver must drop it. */
function badVxlan(): Buffer {
  const packet = Buffer.alloc(8 + 60);
  packet.fill(0xff, 8, 14);
  packet.write("020000aa0001", 14, "hex");
  packet.writeUInt16BE(0x88b5, 20); // IEEE local experimental: nothing in it to decode
  packet.writeUIntBE(42, 4, 3);
  return packet;
}

describeLab("Prometheus metrics (two hosts, VNI 42, --metrics on h1's underlay address)", () => {
  let lab: Lab;
  const switches: VxswitchProcess[] = [];
  let url = "";

  /** GET /metrics from inside h1's namespace (node's fetch: curl may not be installed). */
  const scrape = (): Promise<string> =>
    nsExec(lab.hosts[0]!.ns, [process.execPath, "-e", `fetch(${JSON.stringify(url)}).then(async (r) => { if (!r.ok) throw new Error("HTTP " + r.status); process.stdout.write(await r.text()); })`]);

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, label: "metrics" });
    await lab.checkUnderlay();
    for (const host of lab.hosts) {
      const local = lab.localOf(host);
      const extraArgs = host === lab.hosts[0] ? ["--metrics", `${local}:${METRICS_PORT}`] : [];
      switches.push(await VxswitchProcess.start(host.ns, { local, remotes: lab.remotesOf(host), vni: 42, tap: "vxtap42", bridge: "br0", extraArgs }));
    }
    url = `http://${lab.localOf(lab.hosts[0]!)}:${METRICS_PORT}/metrics`;
  });

  afterAll(() => stopThenDestroy(lab, ...switches));

  it("serves Prometheus text with process metrics under the vxswitch_ prefix", async () => {
    const text = await scrape();
    expect(text).toContain("# TYPE vxswitch_frames_total counter");
    expect(text).toMatch(/^vxswitch_process_resident_memory_bytes \d+/m);
  });

  it(`counts at least 2 x ${PINGS} frames for ${PINGS} answered pings through h1`, async () => {
    const before = await scrape();
    const result = await ping(lab.container(1).ns, lab.container(2).address, { count: PINGS, interval: 0.05 });
    await expectNoLoss(result, "c1 -> c2", async () => switches[0]!.statsText());
    const after = await scrape();
    const grown = framesOf(after) - framesOf(before);
    expect(grown, `frames before:\n${before.split("\n").filter((l) => l.startsWith("vxswitch_frames")).join("\n")}\nafter:\n${after.split("\n").filter((l) => l.startsWith("vxswitch_frames")).join("\n")}`)
      .toBeGreaterThanOrEqual(2 * PINGS);
    expect(sample(after, 'vxswitch_peer_frames_total{peer="198.18.0.2",direction="egress"}')).toBeGreaterThanOrEqual(PINGS);
    // Both containers' MACs: c1's behind the TAP, c2's behind the peer.
    expect(sample(after, 'vxswitch_fdb_entries{vni="42"}')).toBeGreaterThanOrEqual(2);
    // The same pings per segment (84-byte IPv4 + 14 Ethernet = 98 bytes each), per peer in bytes, per batch.
    const grew = (name: string): number => sample(after, name) - sample(before, name);
    expect(grew('vxswitch_segment_frames_total{vni="42",direction="egress"}')).toBeGreaterThanOrEqual(PINGS);
    expect(grew('vxswitch_segment_frames_total{vni="42",direction="ingress"}')).toBeGreaterThanOrEqual(PINGS);
    expect(grew('vxswitch_segment_bytes_total{vni="42",direction="egress"}')).toBeGreaterThanOrEqual(98 * PINGS);
    expect(grew('vxswitch_peer_bytes_total{peer="198.18.0.2",direction="ingress"}')).toBeGreaterThanOrEqual(98 * PINGS);
    expect(grew('vxswitch_batch_frames_count{direction="egress"}')).toBeGreaterThanOrEqual(1);
    expect(grew('vxswitch_batch_frames_bucket{direction="egress",le="+Inf"}')).toBe(grew('vxswitch_batch_frames_count{direction="egress"}'));
  });

  it("counts one vxlanFlagI drop for one packet with the I flag clear from the peer, as decode predicts", async () => {
    const packet = badVxlan();
    expect(decodePacket(packet, "vxlan", { number: 1 }).problems.map((p) => p.drop)).toEqual(["vxlanFlagI"]);
    const before = sample(await scrape(), I_FLAG_DROPS);
    // Sent from h2's underlay address: a known peer, so the VXLAN check (not the peer check) is what drops it.
    const send = `const s = require("node:dgram").createSocket("udp4"); s.bind(0, ${JSON.stringify(lab.localOf(lab.hosts[1]!))}, () => ` +
      `s.send(Buffer.from(${JSON.stringify(packet.toString("hex"))}, "hex"), 4789, ${JSON.stringify(lab.localOf(lab.hosts[0]!))}, (e) => { if (e) throw e; s.close(); }));`;
    await nsExec(lab.hosts[1]!.ns, [process.execPath, "-e", send]);
    let after = before;
    for (let i = 0; i < 50 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = sample(await scrape(), I_FLAG_DROPS);
    }
    expect(after - before, await switches[0]!.statsText()).toBe(1);
  });
});
