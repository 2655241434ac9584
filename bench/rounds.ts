// Combining repeated rounds of one system (`--repeat N`): each test's figures from its median round.
import type { Measurements } from "./measure.js";
import type { RoundRecord, SystemRecord } from "./report.js";
import type { SystemSpec } from "./systems.js";

/** The round whose figure is the median (the upper one of the middle two for an even count). */
function medianRound(rounds: readonly RoundRecord[], figure: (m: Measurements) => number): RoundRecord {
  const sorted = [...rounds].sort((a, b) => figure(a.results!) - figure(b.results!));
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * One system's record from its rounds: each test's figures come from the round that is the
 * median for that test (TCP 1 stream brings its CPU figures and counters along; pings go by
 * their average), memory is the round with the highest peak. Failed rounds are named in
 * `reason`. A median, not a pool: one round disturbed by other work on the machine must not
 * decide the figure.
 */
export function combineRounds(spec: SystemSpec, rounds: RoundRecord[]): SystemRecord {
  const base = {
    id: spec.id,
    label: spec.label,
    setup: spec.setup,
    wallSeconds: rounds.reduce((s, r) => s + r.wallSeconds, 0),
    backgroundBusyPercent: rounds.map((r) => r.backgroundBusyPercent),
    rounds,
  };
  const ok = rounds.filter((r) => r.status === "ok" && r.results !== undefined);
  const failed = rounds.filter((r) => r.status === "failed");
  const failures = failed.map((r) => `round ${r.round}: ${r.reason ?? "failed"}`).join("; ");
  if (ok.length === 0) {
    const first = failed[0] ?? rounds[0];
    return { ...base, status: failed.length > 0 ? "failed" : "skipped", reason: failed.length > 0 ? failures : first?.reason, info: first?.info };
  }
  const tcp1Round = medianRound(ok, (m) => m.tcp1.bitsPerSecond);
  const peak = (m: Measurements): number => Math.max(0, ...m.memory.map((p) => p.peakRssBytes));
  const results: Measurements = {
    ping: medianRound(ok, (m) => m.ping.avgMs ?? Infinity).results!.ping,
    tcp1: tcp1Round.results!.tcp1,
    cpu: tcp1Round.results!.cpu,
    tcp4: medianRound(ok, (m) => m.tcp4.bitsPerSecond).results!.tcp4,
    udp: medianRound(ok, (m) => m.udp.deliveredPps).results!.udp,
    memory: [...ok].sort((a, b) => peak(b.results!) - peak(a.results!))[0]!.results!.memory,
  };
  return {
    ...base,
    status: "ok",
    reason: failures || undefined,
    results,
    tcp1Counters: tcp1Round.tcp1Counters,
    info: tcp1Round.info,
  };
}
