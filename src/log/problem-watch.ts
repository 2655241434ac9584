// Turns growing dataplane counters into log lines: the first occurrence of a problem with a hint, repeats counted.
// It reads totals once a second, so the loops keep counting per batch and never log.
import type { NativeIoCounters } from "../io/native.js";
import { DropReason, type DataplaneStats, type DropReasonName } from "../dataplane/stats.js";
import type { Logger, LogLevel } from "./logger.js";

export interface ProblemSource {
  readonly stats: DataplaneStats;
  ioCounters?(): NativeIoCounters;
}

interface Watched {
  key: string;
  read: (s: ProblemSource, io: NativeIoCounters | undefined) => number;
  message: (io: NativeIoCounters | undefined) => string;
  hint: string;
  level: LogLevel;
}

const drop = (direction: "egress" | "ingress", reason: DropReasonName) => (s: ProblemSource): number => s.stats[direction].drops[DropReason[reason]]!;

/** The problems an operator can do something about, and what to do. */
export const WATCHED: readonly Watched[] = [
  {
    key: "egress oversize",
    read: drop("egress", "oversize"),
    message: () => "a frame from a TAP was larger than its segment's MTU and was dropped",
    hint: "set the MTU of the hosts behind the bridge to the segment MTU `vxswitch status` shows, or raise the underlay MTU",
    level: "warn",
  },
  {
    key: "ingress oversize",
    read: drop("ingress", "oversize"),
    message: () => "a frame from a peer was larger than the TAP takes and was dropped",
    hint: "the peers' overlay MTU is larger than this host's; use the same MTU on every host of the segment",
    level: "warn",
  },
  {
    key: "send failed",
    read: (_s, io) => io?.sendErrors ?? 0,
    message: (io) => `sending to a peer failed${io?.lastError ? ` (${io.lastError})` : ""}`,
    hint: "is the peer reachable? check the route to it and that the firewall passes UDP 4789 (VXLAN) or IP protocol 47 (GRE)",
    level: "warn",
  },
  {
    key: "unknown peer",
    read: drop("ingress", "unknownPeer"),
    message: () => "packets from an address that is not a peer were dropped",
    hint: "add it with `vxswitch peers add ADDR`, or list it under peers: in the config and `vxswitch reload`",
    level: "warn",
  },
  {
    key: "unknown vni",
    read: drop("ingress", "unknownVni"),
    message: () => "packets for a VNI / GRE key without a segment here were dropped",
    hint: "the sender uses a segment id this switch is not configured for; compare `vxswitch status` on both hosts",
    level: "warn",
  },
  {
    key: "partial checksum",
    read: (s) => s.stats.ingress.partialChecksums,
    message: () => "a tunnel frame arrived with a partial TCP/UDP checksum (a same-host sender's CHECKSUM_PARTIAL) and was completed",
    hint: "normal when the sender sits on the same host (veth, bridge); nothing to do, counted in `vxswitch stats`",
    level: "info",
  },
];

export class ProblemWatch {
  readonly #last: number[];

  constructor(private readonly source: ProblemSource, private readonly logger: Logger, private readonly watched: readonly Watched[] = WATCHED) {
    // What happened before the watch started is not news.
    this.#last = this.#read();
  }

  /** Compares the counters with the last check and feeds what grew to the logger. */
  check(): void {
    const io = this.source.ioCounters?.();
    this.watched.forEach((w, i) => {
      const now = w.read(this.source, io);
      const grew = now - this.#last[i]!;
      this.#last[i] = now;
      if (grew > 0) this.logger.problem(w.key, grew, w.message(io), w.hint, w.level);
    });
  }

  #read(): number[] {
    const io = this.source.ioCounters?.();
    return this.watched.map((w) => w.read(this.source, io));
  }
}
