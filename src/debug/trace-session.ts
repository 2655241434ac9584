// The live trace observer: one line per frame with the forwarder's decision, or the drop reason the loop counted for it.
import type { DataplaneObserver, Direction } from "../dataplane/observers.js";
import type { TapTable } from "../switch/tables.js";
import { DROP_REASON_NAMES, type DirectionStats, type DropReasonName } from "../dataplane/stats.js";
import { formatAddress } from "../io/address.js";
import { FLOOD, dropReasonName } from "../switch/forwarder.js";
import { VIRTIO_NET_HDR_LEN } from "../wire/virtio-net.js";
import { ObserverStream, DEFAULT_STREAM_LIMITS } from "../control/observer-stream.js";
import type { StreamQueueLimits } from "../control/stream-queue.js";
import { matchesFrame, matchesPeer, parseCaptureFilter, type CaptureFilter } from "./capture-filter.js";
import { parseTunnelPayload } from "./capture-tunnel.js";
import { DROP_WORDS, frameSummary, traceLine } from "./trace-line.js";
import { endpointLabel, type DebugView } from "./trace-view.js";
import { positiveArg } from "./capture-session.js";

/** Bytes of each frame kept for its line: Ethernet, a tag and the IP addresses. */
const HEAD_BYTES = 64;

export interface TraceEvent {
  line: string;
  direction: Direction;
  vni: number;
  /** "forward", "flood" or "drop". */
  action: "forward" | "flood" | "drop";
  /** Drop reasons counted for this frame (camelCase, as in `stats`). */
  drops: DropReasonName[];
  targets: string[];
}

interface Pending {
  direction: Direction;
  from: string;
  /** The sender's address (ingress), for --peer. */
  src: Uint8Array | undefined;
  vni: number;
  head: Buffer;
  len: number;
  packets: number;
  decision: number | undefined;
  fromId: number;
}

/**
 * The loops report each frame as it starts (egressFrame / ingressFrame), the decision if it gets
 * one, and the end of a batch. A frame's drops are the drop counters that moved between its start
 * and the next frame's: so every drop the loop counts, wherever it counts it, shows with its frame.
 */
export class TraceObserver implements DataplaneObserver {
  private pending: Pending | undefined;
  private readonly snapshot = new Float64Array(DROP_REASON_NAMES.length);

  constructor(
    private readonly view: DebugView,
    private readonly filter: CaptureFilter,
    private readonly push: (event: TraceEvent) => void,
  ) {}

  egressFrame(slab: Buffer, off: number, len: number, tap: TapTable): void {
    this.close();
    let at = off;
    let n = len;
    if (this.view.vnetHdr && n >= VIRTIO_NET_HDR_LEN) {
      at += VIRTIO_NET_HDR_LEN;
      n -= VIRTIO_NET_HDR_LEN;
    }
    const vni = tap.trunk ? -1 : (tap.access?.segment.id ?? -1);
    this.open({ direction: "egress", from: `tap ${tap.name}`, src: undefined, vni, head: copyHead(slab, at, n), len: n, packets: 1, decision: undefined, fromId: -1 });
  }

  ingressFrame(src: Uint8Array, srcOff: number, tunnel: Buffer, tunnelOff: number, frame: Buffer, frameOff: number, frameLen: number, packets: number): void {
    this.close();
    const payload = parseTunnelPayload(this.view.encap, tunnel, tunnelOff, frameOff < 0 ? frameLen : Number.MAX_SAFE_INTEGER);
    let head: Buffer = Buffer.alloc(0);
    let len = 0;
    if (frameOff >= 0) {
      head = copyHead(frame, frameOff, frameLen);
      len = frameLen;
    } else if (payload !== undefined) {
      len = tunnelOff + frameLen - payload.inner;
      head = copyHead(tunnel, payload.inner, len);
    }
    const addr = src.slice(srcOff, srcOff + 16);
    this.open({ direction: "ingress", from: formatAddress(addr), src: addr, vni: payload?.id ?? -1, head, len, packets, decision: undefined, fromId: -1 });
  }

  decided(_direction: Direction, decision: number, segment: number, from: number): void {
    const p = this.pending;
    if (p === undefined) return;
    p.decision = decision;
    p.vni = segment;
    p.fromId = from;
  }

  batchEnd(): void {
    this.close();
  }

  private statsOf(direction: Direction): DirectionStats {
    return direction === "egress" ? this.view.stats.egress : this.view.stats.ingress;
  }

  private open(p: Pending): void {
    this.pending = p;
    this.snapshot.set(this.statsOf(p.direction).drops);
  }

  /** Ends the current frame: its line, from its decision and the drops counted since it started. */
  private close(): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    const drops: DropReasonName[] = [];
    const now = this.statsOf(p.direction).drops;
    for (let r = 0; r < now.length; r++) if (now[r] !== this.snapshot[r]) drops.push(DROP_REASON_NAMES[r]!);
    if (!matchesFrame(this.filter, p.vni, p.head, 0, p.head.length)) return;
    if (p.direction === "ingress" && !matchesPeer(this.filter, p.src)) return;
    if (p.direction === "egress" && this.filter.peer !== undefined) return;
    this.push(this.event(p, drops));
  }

  private event(p: Pending, drops: DropReasonName[]): TraceEvent {
    const d = p.decision;
    let action: TraceEvent["action"] = "drop";
    let targets: string[] = [];
    let outcome: string;
    if (d === FLOOD) {
      action = "flood";
      const seg = this.view.tables.current.segments.get(p.vni);
      const list = seg === undefined ? [] : this.view.forwarder.floodTargets(seg, p.fromId);
      targets = Array.from(list).filter((t) => t !== p.fromId).map((t) => endpointLabel(this.view, t));
      outcome = `flood -> ${targets.join(", ")}`;
    } else if (d !== undefined && d >= 0 && !drops.includes("splitHorizon")) {
      action = "forward";
      targets = [endpointLabel(this.view, d)];
      outcome = `forward -> ${targets[0]}`;
    } else if (d !== undefined && d < FLOOD) {
      const name = dropReasonName(d) as DropReasonName;
      outcome = `drop: ${DROP_WORDS[name] ?? name}`;
      if (!drops.includes(name)) drops.unshift(name);
    } else if (drops.length > 0) {
      outcome = `drop: ${DROP_WORDS[drops[0]!]}`;
    } else {
      // Only a TAP frame the batch pass refused (checksum offload it could not finish) gets here.
      outcome = p.len === 0 ? `drop: ${DROP_WORDS.badOffload}` : "no decision";
    }
    // A flood or forward that lost copies on the way out says so.
    const lost = action === "drop" ? drops.slice(1) : drops;
    if (lost.length > 0) outcome += ` (${lost.map((r) => DROP_WORDS[r]).join(", ")})`;
    const summary = frameSummary(p.head, 0, Math.min(p.len, p.head.length));
    const line = traceLine({ direction: p.direction, from: p.from, vni: p.vni, summary, packets: p.packets, outcome });
    return { line, direction: p.direction, vni: p.vni, action, drops, targets };
  }
}

function copyHead(buf: Buffer, off: number, len: number): Buffer {
  return Buffer.from(buf.subarray(off, off + Math.max(0, Math.min(len, HEAD_BYTES))));
}

export interface TraceRequest {
  [field: string]: unknown;
  vni?: unknown;
  peer?: unknown;
  mac?: unknown;
  count?: unknown;
  duration?: unknown;
}

/** A live trace as a control stream: items are TraceEvents, the end {captured, lost, reason}. */
export function traceStream(view: DebugView, req: TraceRequest, limits: StreamQueueLimits = DEFAULT_STREAM_LIMITS): ObserverStream<TraceEvent> {
  const filter = parseCaptureFilter(req);
  const duration = positiveArg(req.duration, "duration");
  return new ObserverStream<TraceEvent>({
    header: { trace: true },
    count: positiveArg(req.count, "count"),
    durationMs: duration === undefined ? undefined : duration * 1000,
    limits,
    sizeOf: (e) => e.line.length + 128,
    encode: (e) => e,
    attach: (push) => view.observers.add(new TraceObserver(view, filter, push)),
  });
}
