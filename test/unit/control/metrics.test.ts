import { afterEach, describe, expect, it } from "vitest";
import { createMetricsRegistry, type MetricsSource } from "../../../src/control/metrics.js";
import { MetricsServer } from "../../../src/control/metrics-server.js";
import { parseListenAddress, tryParseListenAddress } from "../../../src/control/listen-address.js";
import { validateConfig } from "../../../src/control/config.js";
import { DataplaneStats, DropReason } from "../../../src/dataplane/stats.js";
import { SegmentTraffic } from "../../../src/switch/segment-traffic.js";
import type { NativeIoCounters } from "../../../src/io/native.js";

/** A switch as the metrics see it: counters that a test moves by hand. */
function fakeSource() {
  const stats = new DataplaneStats();
  const sizes = new Map<number, number>([[42, 3], [7, 1]]);
  const fdbCounters = { entries: 4, learned: 9, refreshed: 20, moved: 2, aged: 5, evicted: 1, ignored: 0, staticConflicts: 0 };
  const peers = [
    { address: "198.18.0.2", dynamic: false, rxFrames: 11, txFrames: 12, rxBytes: 1100, txBytes: 1200, txErrors: 4 },
    { address: "198.18.0.9", dynamic: true, rxFrames: 1, txFrames: 0, rxBytes: 100, txBytes: 0, txErrors: 0 },
  ];
  const traffic = new SegmentTraffic();
  const io: NativeIoCounters = { readErrors: 0, writeErrors: 0, recvErrors: 0, sendErrors: 3, truncated: 1, malformed: 0, gsoFallbacks: 2, gsoDisabled: 0, badChecksumOffsets: 0, lastError: "" };
  const source: MetricsSource = {
    stats,
    fdb: { vnis: () => [...sizes.keys()], size: (vni?: number) => (vni === undefined ? 4 : sizes.get(vni) ?? 0) },
    fdbCounters: () => fdbCounters,
    segmentTraffic: () => [{ id: 42, traffic }],
    status: () => ({
      encap: "vxlan", io: "batch", peers,
      offloads: { udpGro: true, udpGso: false, udpGsoDisabled: 0, sourcePortSockets: 8, tapVnetHdr: true, csum: true, tso4: true, tso6: false, uso: false },
      busyPoll: { windowUs: 0, fds: 0, spins: 0, hits: 0 },
    }),
    ioCounters: () => io,
    socketDrops: () => 6,
  };
  return { source, stats, sizes, fdbCounters, peers, traffic };
}

const lines = async (source: MetricsSource): Promise<string[]> =>
  (await createMetricsRegistry(source, { processMetrics: false }).metrics()).split("\n");

describe("metrics", () => {
  it("exposes frames and bytes per direction as counters read from the dataplane's totals", async () => {
    const { source, stats } = fakeSource();
    stats.egress.frames = 100;
    stats.egress.bytes = 9800;
    stats.ingress.frames = 98;
    stats.ingress.bytes = 9604;
    const out = await lines(source);
    expect(out).toContain("# TYPE vxswitch_frames_total counter");
    expect(out).toContain('vxswitch_frames_total{direction="egress"} 100');
    expect(out).toContain('vxswitch_frames_total{direction="ingress"} 98');
    expect(out).toContain('vxswitch_bytes_total{direction="egress"} 9800');
    expect(out).toContain('vxswitch_bytes_total{direction="ingress"} 9604');
  });

  it("reads the counters again at every scrape (nothing is counted twice or kept)", async () => {
    const { source, stats } = fakeSource();
    const registry = createMetricsRegistry(source, { processMetrics: false });
    stats.ingress.frames = 5;
    expect(await registry.metrics()).toContain('vxswitch_frames_total{direction="ingress"} 5\n');
    stats.ingress.frames = 8;
    expect(await registry.metrics()).toContain('vxswitch_frames_total{direction="ingress"} 8\n');
  });

  it("lists every drop reason for both directions, zero until it happens", async () => {
    const { source, stats } = fakeSource();
    stats.ingress.drop(DropReason.vxlanFlagI);
    stats.egress.drop(DropReason.oversize, 4);
    const out = await lines(source);
    expect(out).toContain('vxswitch_drops_total{direction="ingress",reason="vxlanFlagI"} 1');
    expect(out).toContain('vxswitch_drops_total{direction="egress",reason="oversize"} 4');
    expect(out).toContain('vxswitch_drops_total{direction="egress",reason="unknownPeer"} 0');
    expect(out.filter((l) => l.startsWith("vxswitch_drops_total{"))).toHaveLength(2 * Object.keys(DropReason).length);
  });

  it("gives FDB entries per VNI and learning, moves and both kinds of eviction", async () => {
    const { source } = fakeSource();
    const out = await lines(source);
    expect(out).toContain("# TYPE vxswitch_fdb_entries gauge");
    expect(out).toContain('vxswitch_fdb_entries{vni="42"} 3');
    expect(out).toContain('vxswitch_fdb_entries{vni="7"} 1');
    expect(out).toContain("vxswitch_fdb_learned_total 9");
    expect(out).toContain("vxswitch_fdb_moves_total 2");
    expect(out).toContain('vxswitch_fdb_evictions_total{cause="ageing"} 5');
    expect(out).toContain('vxswitch_fdb_evictions_total{cause="capacity"} 1');
  });

  it("drops a segment's FDB gauge when the segment's table is gone", async () => {
    const { source, sizes } = fakeSource();
    const registry = createMetricsRegistry(source, { processMetrics: false });
    expect(await registry.metrics()).toContain('vxswitch_fdb_entries{vni="7"} 1');
    sizes.delete(7);
    expect(await registry.metrics()).not.toContain('vni="7"');
  });

  it("gives per-peer frames, peers by kind, active offloads, io errors and socket drops", async () => {
    const { source } = fakeSource();
    const out = await lines(source);
    expect(out).toContain('vxswitch_peer_frames_total{peer="198.18.0.2",direction="egress"} 12');
    expect(out).toContain('vxswitch_peer_frames_total{peer="198.18.0.2",direction="ingress"} 11');
    expect(out).toContain('vxswitch_peer_send_errors_total{peer="198.18.0.2"} 4');
    expect(out).toContain('vxswitch_peers{kind="configured"} 1');
    expect(out).toContain('vxswitch_peers{kind="learned"} 1');
    expect(out).toContain('vxswitch_offload_active{offload="udp_gro"} 1');
    expect(out).toContain('vxswitch_offload_active{offload="udp_gso"} 0');
    expect(out).toContain('vxswitch_offload_active{offload="tap_tso4"} 1');
    expect(out).toContain('vxswitch_info{encap="vxlan",io="batch"} 1');
    expect(out).toContain('vxswitch_io_errors_total{kind="sendErrors"} 3');
    expect(out).toContain("vxswitch_gso_fallbacks_total 2");
    expect(out).toContain("vxswitch_socket_drops_total 6");
  });

  it("gives frames and bytes per segment and direction, and bytes per peer", async () => {
    const { source, traffic } = fakeSource();
    traffic.egress(3, 300);
    traffic.ingress(5, 7000);
    const out = await lines(source);
    expect(out).toContain("# TYPE vxswitch_segment_frames_total counter");
    expect(out).toContain('vxswitch_segment_frames_total{vni="42",direction="egress"} 3');
    expect(out).toContain('vxswitch_segment_frames_total{vni="42",direction="ingress"} 5');
    expect(out).toContain('vxswitch_segment_bytes_total{vni="42",direction="egress"} 300');
    expect(out).toContain('vxswitch_segment_bytes_total{vni="42",direction="ingress"} 7000');
    expect(out).toContain('vxswitch_peer_bytes_total{peer="198.18.0.2",direction="egress"} 1200');
    expect(out).toContain('vxswitch_peer_bytes_total{peer="198.18.0.2",direction="ingress"} 1100');
  });

  it("gives flood copies beside floods (the mean fan-out)", async () => {
    const { source, stats } = fakeSource();
    stats.egress.flood(3);
    stats.egress.flood(3);
    stats.ingress.flood(1);
    const out = await lines(source);
    expect(out).toContain('vxswitch_flooded_frames_total{direction="egress"} 2');
    expect(out).toContain('vxswitch_flood_copies_total{direction="egress"} 6');
    expect(out).toContain('vxswitch_flood_copies_total{direction="ingress"} 1');
  });

  it("exposes the batch sizes the loops recorded as a Prometheus histogram (cumulative buckets, sum, count)", async () => {
    const { source, stats } = fakeSource();
    for (const n of [1, 1, 3, 64, 300]) stats.egress.batch(n);
    const out = await lines(source);
    expect(out).toContain("# TYPE vxswitch_batch_frames histogram");
    expect(out).toContain('vxswitch_batch_frames_bucket{direction="egress",le="1"} 2');
    expect(out).toContain('vxswitch_batch_frames_bucket{direction="egress",le="2"} 2');
    expect(out).toContain('vxswitch_batch_frames_bucket{direction="egress",le="4"} 3');
    expect(out).toContain('vxswitch_batch_frames_bucket{direction="egress",le="64"} 4');
    expect(out).toContain('vxswitch_batch_frames_bucket{direction="egress",le="256"} 4');
    expect(out).toContain('vxswitch_batch_frames_bucket{direction="egress",le="+Inf"} 5');
    expect(out).toContain('vxswitch_batch_frames_sum{direction="egress"} 369');
    expect(out).toContain('vxswitch_batch_frames_count{direction="egress"} 5');
    expect(out).toContain('vxswitch_batch_frames_count{direction="ingress"} 0');
  });

  it("adds the process metrics with the vxswitch_ prefix", async () => {
    const { source } = fakeSource();
    const text = await createMetricsRegistry(source).metrics();
    expect(text).toMatch(/^vxswitch_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^vxswitch_nodejs_eventloop_lag_seconds \d/m);
  });
});

describe("metrics endpoint", () => {
  let server: MetricsServer | undefined;
  afterEach(() => server?.close());

  it("serves the registry on GET /metrics and 404 elsewhere", async () => {
    const { source, stats } = fakeSource();
    stats.egress.frames = 3;
    server = await MetricsServer.listen({ host: "127.0.0.1", port: 0 }, createMetricsRegistry(source, { processMetrics: false }));
    const port = server.port;
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toContain('vxswitch_frames_total{direction="egress"} 3');
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
  });

  it("says why it cannot listen", async () => {
    const { source } = fakeSource();
    await expect(MetricsServer.listen({ host: "192.0.2.1", port: 9464 }, createMetricsRegistry(source, { processMetrics: false })))
      .rejects.toThrow("cannot serve metrics on 192.0.2.1:9464: EADDRNOTAVAIL (no such local address)");
  });
});

describe("metrics address (ADDR:PORT)", () => {
  it("takes IPv4, bracketed IPv6 and host names", () => {
    expect(parseListenAddress("198.18.0.1:9464")).toEqual({ host: "198.18.0.1", port: 9464 });
    expect(parseListenAddress("[::1]:9464")).toEqual({ host: "::1", port: 9464 });
    expect(parseListenAddress("localhost:80")).toEqual({ host: "localhost", port: 80 });
  });

  it("refuses what is not ADDR:PORT, saying what is expected", () => {
    expect(tryParseListenAddress("9464")).toBeNull();
    expect(tryParseListenAddress("::1:9464")).toBeNull();
    expect(tryParseListenAddress("1.2.3.4:70000")).toBeNull();
    expect(() => parseListenAddress("9464")).toThrow('metrics: "9464" is not ADDR:PORT (e.g. 127.0.0.1:9464 or [::1]:9464)');
  });

  it("is a config key, validated like the flag", () => {
    const base = { local: "198.18.0.1", segments: [{ vni: 42, tap: "vxtap42" }] };
    expect(validateConfig({ ...base, metrics: "198.18.0.1:9464" }).metrics).toBe("198.18.0.1:9464");
    expect(() => validateConfig({ ...base, metrics: "9464" })).toThrow(/metrics.*ADDR:PORT/);
  });
});
