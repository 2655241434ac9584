// Prometheus metrics (prom-client): read from the dataplane's own counters at scrape time, nothing added per packet.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { NativeIoCounters } from "../io/native.js";
import type { InstanceStatus } from "../dataplane/status.js";
import { DROP_REASON_NAMES, type DataplaneStats, type DirectionStats } from "../dataplane/stats.js";
import { BATCH_BUCKETS, type BatchHistogram } from "../dataplane/batch-histogram.js";
import type { SegmentTraffic } from "../switch/segment-traffic.js";

/** What the metrics read; a SwitchInstance is one. Every read happens inside a scrape. */
export interface MetricsSource {
  readonly stats: DataplaneStats;
  readonly fdb: { vnis(): number[]; size(vni?: number): number };
  fdbCounters(): Record<string, number>;
  /** Frames and bytes per segment and direction. */
  segmentTraffic(): { id: number; traffic: SegmentTraffic }[];
  status(): Pick<InstanceStatus, "encap" | "io" | "offloads" | "peers" | "busyPoll" | "membership">;
  /** The addon's error counters; absent where the addon is not loaded (tests). */
  ioCounters?(): NativeIoCounters;
  /** Packets the kernel dropped from the tunnel socket's receive queue. */
  socketDrops?(): number;
}

type Labels = Record<string, string>;
type Sample = [Labels, number];

const DIRECTIONS = ["egress", "ingress"] as const;

/** A counter whose value is the source's running total, copied in when Prometheus scrapes. */
function scrapedCounter(registry: Registry, name: string, help: string, labelNames: string[], read: () => Sample[]): void {
  new Counter({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

function scrapedGauge(registry: Registry, name: string, help: string, labelNames: string[], read: () => Sample[]): void {
  new Gauge({
    name, help, labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}

type HistogramLabel = "direction" | "le";
type HistogramAnswer = Awaited<ReturnType<Histogram<HistogramLabel>["get"]>>;

/**
 * A histogram whose buckets the dataplane filled itself (BatchHistogram, once per batch): prom-client
 * only renders it; nothing is observed through prom-client.
 */
class ScrapedHistogram extends Histogram<HistogramLabel> {
  constructor(registry: Registry, private readonly metric: string, private readonly helpText: string, private readonly read: () => [string, BatchHistogram][]) {
    super({ name: metric, help: helpText, labelNames: ["direction"], buckets: [...BATCH_BUCKETS], registers: [registry] });
  }

  override get(): Promise<HistogramAnswer> {
    return Promise.resolve(this.answer());
  }

  /** What the registry's text renderer asks for (prom-client's own version reads observations). */
  getForPromString(): Promise<HistogramAnswer> {
    return Promise.resolve(this.answer());
  }

  private answer(): HistogramAnswer {
    const name = this.metric;
    const values: { value: number; labels: Partial<Record<HistogramLabel, string | number>>; metricName: string }[] = [];
    for (const [direction, h] of this.read()) {
      let cumulative = 0;
      h.counts.forEach((count, i) => {
        cumulative += count;
        values.push({ metricName: `${name}_bucket`, labels: { direction, le: BATCH_BUCKETS[i] ?? "+Inf" }, value: cumulative });
      });
      values.push({ metricName: `${name}_sum`, labels: { direction }, value: h.sum });
      values.push({ metricName: `${name}_count`, labels: { direction }, value: cumulative });
    }
    // The shape prom-client's histogram answers with (its typings also ask for a collect function it does not return).
    const answer = { name, help: this.helpText, type: "histogram", aggregator: "sum", values };
    return answer as unknown as HistogramAnswer;
  }
}

function perDirection(stats: DataplaneStats, pick: (d: DirectionStats) => number): Sample[] {
  return DIRECTIONS.map((direction) => [{ direction }, pick(stats[direction])]);
}

const OFFLOAD_LABELS: Record<string, string> = {
  udpGro: "udp_gro", udpGso: "udp_gso", tapVnetHdr: "tap_vnet_hdr", csum: "tap_csum", tso4: "tap_tso4", tso6: "tap_tso6", uso: "tap_uso",
};

const IO_ERRORS = ["readErrors", "writeErrors", "recvErrors", "sendErrors", "truncated", "malformed"] as const;

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, GC) as vxswitch_process_*, vxswitch_nodejs_*. */
  processMetrics?: boolean;
}

/** A registry holding every vxswitch metric, each computed from `source` when scraped. */
export function createMetricsRegistry(source: MetricsSource, opts: MetricsOptions = {}): Registry {
  const r = new Registry();
  const { stats } = source;
  scrapedCounter(r, "vxswitch_frames_total", "Frames switched; egress = TAP to tunnel, ingress = tunnel to TAP (a flood counts once)", ["direction"],
    () => perDirection(stats, (d) => d.frames));
  scrapedCounter(r, "vxswitch_bytes_total", "Inner frame bytes switched", ["direction"], () => perDirection(stats, (d) => d.bytes));
  scrapedCounter(r, "vxswitch_batches_total", "Batches processed (frames_total / batches_total is the mean batch fill)", ["direction"],
    () => perDirection(stats, (d) => d.batches));
  scrapedCounter(r, "vxswitch_flooded_frames_total", "Frames flooded (unknown unicast, broadcast, multicast)", ["direction"],
    () => perDirection(stats, (d) => d.flooded));
  scrapedCounter(r, "vxswitch_flood_copies_total", "Copies the floods made, tunnel peers and local ports (flood_copies_total / flooded_frames_total is the mean fan-out)", ["direction"],
    () => perDirection(stats, (d) => d.floodCopies));
  new ScrapedHistogram(r, "vxswitch_batch_frames", "Messages per batch read: TAP frames (egress), tunnel datagrams (ingress; a GRO datagram counts once)",
    () => DIRECTIONS.map((direction) => [direction, stats[direction].batchSizes]));
  segmentMetrics(r, source);
  scrapedCounter(r, "vxswitch_partial_checksums_total", "Tunnel frames whose TCP/UDP checksum arrived partial (a same-host sender's CHECKSUM_PARTIAL) and was finished", [],
    () => [[{}, stats.ingress.partialChecksums]]);
  scrapedCounter(r, "vxswitch_drops_total", "Frames dropped, by the reason `vxswitch stats` and `vxswitch decode` name", ["direction", "reason"],
    () => DIRECTIONS.flatMap((direction) => DROP_REASON_NAMES.map((reason, i): Sample => [{ direction, reason }, stats[direction].drops[i]!])));
  scrapedCounter(r, "vxswitch_peer_frames_total", "Frames sent to (egress) and received from (ingress) each tunnel peer", ["peer", "direction"],
    () => source.status().peers.flatMap((p): Sample[] => [[{ peer: p.address, direction: "egress" }, p.txFrames], [{ peer: p.address, direction: "ingress" }, p.rxFrames]]));
  scrapedCounter(r, "vxswitch_peer_bytes_total", "Inner frame bytes sent to (egress) and received from (ingress) each tunnel peer", ["peer", "direction"],
    () => source.status().peers.flatMap((p): Sample[] => [[{ peer: p.address, direction: "egress" }, p.txBytes], [{ peer: p.address, direction: "ingress" }, p.rxBytes]]));
  scrapedCounter(r, "vxswitch_peer_send_errors_total", "Messages to each tunnel peer the kernel refused (unreachable, no route, too big)", ["peer"],
    () => source.status().peers.map((p): Sample => [{ peer: p.address }, p.txErrors]));
  scrapedGauge(r, "vxswitch_peers", "Tunnel peers, configured and learned from traffic (group mode)", ["kind"], () => {
    const peers = source.status().peers;
    const learned = peers.filter((p) => p.dynamic).length;
    return [[{ kind: "configured" }, peers.length - learned], [{ kind: "learned" }, learned]];
  });
  fdbMetrics(r, source);
  scrapedGauge(r, "vxswitch_offload_active", "1 when an offload is in use (probed at start), 0 when it fell back", ["offload"], () => {
    const o = source.status().offloads;
    return Object.entries(OFFLOAD_LABELS).map(([key, offload]): Sample => [{ offload }, o[key as keyof typeof o] === true ? 1 : 0]);
  });
  scrapedGauge(r, "vxswitch_info", "Constant 1, labelled with the encapsulation and tunnel I/O mode", ["encap", "io"], () => {
    const s = source.status();
    return [[{ encap: s.encap, io: s.io }, 1]];
  });
  scrapedCounter(r, "vxswitch_busy_poll_spins_total", "Busy-poll spin slices run", [], () => [[{}, source.status().busyPoll.spins]]);
  scrapedCounter(r, "vxswitch_busy_poll_hits_total", "Busy-poll slices that found traffic (a wakeup saved)", [], () => [[{}, source.status().busyPoll.hits]]);
  ioMetrics(r, source);
  membershipMetrics(r, source);
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: r, prefix: "vxswitch_" });
  return r;
}

function segmentMetrics(r: Registry, source: MetricsSource): void {
  const per = (pick: (t: SegmentTraffic, direction: (typeof DIRECTIONS)[number]) => number) => (): Sample[] =>
    source.segmentTraffic().flatMap(({ id, traffic }) => DIRECTIONS.map((direction): Sample => [{ vni: String(id), direction }, pick(traffic, direction)]));
  scrapedCounter(r, "vxswitch_segment_frames_total", "Frames switched per segment (VNI or GRE key); egress = from its TAP, ingress = from the tunnel", ["vni", "direction"],
    per((t, d) => (d === "egress" ? t.egressFrames : t.ingressFrames)));
  scrapedCounter(r, "vxswitch_segment_bytes_total", "Inner frame bytes switched per segment (VNI or GRE key)", ["vni", "direction"],
    per((t, d) => (d === "egress" ? t.egressBytes : t.ingressBytes)));
}

function fdbMetrics(r: Registry, source: MetricsSource): void {
  const counter = (key: string): number => source.fdbCounters()[key] ?? 0;
  scrapedGauge(r, "vxswitch_fdb_entries", "MAC table entries per segment (VNI or GRE key), static ones included", ["vni"],
    () => source.fdb.vnis().map((vni): Sample => [{ vni: String(vni) }, source.fdb.size(vni)]));
  scrapedCounter(r, "vxswitch_fdb_learned_total", "MAC table entries made by learning", [], () => [[{}, counter("learned")]]);
  scrapedCounter(r, "vxswitch_fdb_moves_total", "MACs that showed up behind another port or peer", [], () => [[{}, counter("moved")]]);
  scrapedCounter(r, "vxswitch_fdb_evictions_total", "Entries removed: aged out, or pushed out by a new MAC when the table was full", ["cause"],
    () => [[{ cause: "ageing" }, counter("aged")], [{ cause: "capacity" }, counter("evicted")]]);
  scrapedCounter(r, "vxswitch_fdb_static_conflicts_total", "Frames whose source MAC has a static entry behind another endpoint", [],
    () => [[{}, counter("staticConflicts")]]);
  scrapedCounter(r, "vxswitch_fdb_moves_refused_total", "Tunnel frames claiming a MAC a local port sent from within the move hold time (the entry stayed local)", [],
    () => [[{}, counter("moveRefused")]]);
}

/** etcd membership: reachability (and since when), hosts, flood peers per VNI, MACs, etcd load. Absent without etcd. */
function membershipMetrics(r: Registry, source: MetricsSource): void {
  const m = (): NonNullable<InstanceStatus["membership"]> | undefined => source.status().membership;
  const one = (read: (s: NonNullable<InstanceStatus["membership"]>) => number) => (): Sample[] => {
    const s = m();
    return s === undefined ? [] : [[{}, read(s)]];
  };
  scrapedGauge(r, "vxswitch_membership_connected", "1 while etcd answers, 0 while it is unreachable (forwarding uses the last known membership)", [], one((s) => (s.state === "connected" ? 1 : 0)));
  scrapedGauge(r, "vxswitch_membership_state_since_seconds", "Unix time the current etcd state (connected, unreachable) began", [], one((s) => Date.parse(s.since) / 1000));
  scrapedGauge(r, "vxswitch_membership_hosts", "Hosts registered in etcd, this one included", [], one((s) => s.hosts));
  scrapedGauge(r, "vxswitch_membership_flood_peers", "Peers a flood in this segment goes to, by etcd membership", ["vni"],
    () => Object.entries(m()?.floodPeers ?? {}).map(([vni, peers]): Sample => [{ vni }, peers.length]));
  scrapedGauge(r, "vxswitch_membership_macs", "MACs published to etcd by this host, and installed from other hosts", ["kind"], () => {
    const s = m();
    return s === undefined ? [] : [[{ kind: "published" }, s.macsPublished], [{ kind: "installed" }, s.macsInstalled]];
  });
  scrapedCounter(r, "vxswitch_membership_etcd_requests_total", "Requests sent to etcd (grants, keepalives, puts, gets, watches)", [], one((s) => s.requests));
  scrapedCounter(r, "vxswitch_membership_watch_events_total", "Watch events received from etcd", [], one((s) => s.watchEvents));
  scrapedCounter(r, "vxswitch_membership_reconnects_total", "etcd sessions begun again after a failure", [], one((s) => s.reconnects));
}

function ioMetrics(r: Registry, source: MetricsSource): void {
  const io = source.ioCounters?.bind(source);
  if (io !== undefined) {
    scrapedCounter(r, "vxswitch_io_errors_total", "What the addon counted instead of failing: read/write/recv/send errors, oversize (truncated) and malformed packets", ["kind"],
      () => {
        const c = io();
        return IO_ERRORS.map((kind): Sample => [{ kind }, c[kind]]);
      });
    scrapedCounter(r, "vxswitch_gso_fallbacks_total", "UDP_SEGMENT sends the kernel refused, re-sent segment by segment", [], () => [[{}, io().gsoFallbacks]]);
    scrapedCounter(r, "vxswitch_gso_disabled_total", "Sockets whose UDP_SEGMENT was switched off after the kernel refused it", [], () => [[{}, io().gsoDisabled]]);
  }
  const socketDrops = source.socketDrops?.bind(source);
  if (socketDrops !== undefined) {
    scrapedCounter(r, "vxswitch_socket_drops_total", "Tunnel packets the kernel dropped before vxswitch read them (receive queue full)", [],
      () => [[{}, socketDrops()]]);
  }
}
