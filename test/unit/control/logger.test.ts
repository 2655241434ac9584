import { describe, expect, it } from "vitest";
import { Logger } from "../../../src/log/logger.js";
import { ProblemWatch } from "../../../src/log/problem-watch.js";
import { DataplaneStats, DropReason } from "../../../src/dataplane/stats.js";

function rig(opts: ConstructorParameters<typeof Logger>[0] = {}): { logger: Logger; lines: string[]; clock: { now: number } } {
  const lines: string[] = [];
  const clock = { now: Date.UTC(2026, 0, 1) };
  const logger = new Logger({ write: (l) => lines.push(l), now: () => clock.now, ...opts });
  return { logger, lines, clock };
}

describe("Logger", () => {
  it("logs info unmarked and the other levels with their name, one line each", () => {
    const { logger, lines } = rig({ level: "debug" });
    logger.info("ready");
    logger.warn("mtu too big", { tap: "vxtap42" });
    logger.error("cannot open");
    logger.debug("detail");
    expect(lines).toEqual(["ready", "warning: mtu too big tap=vxtap42", "error: cannot open", "debug: detail"]);
  });

  it("drops events below --log-level", () => {
    const { logger, lines } = rig({ level: "warn" });
    logger.info("ready");
    logger.debug("detail");
    logger.warn("w");
    expect(lines).toEqual(["warning: w"]);
  });

  it("writes one JSON object per line with --log-format json", () => {
    const { logger, lines } = rig({ format: "json" });
    logger.info("ready", { peers: 2 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ time: "2026-01-01T00:00:00.000Z", level: "info", msg: "ready", peers: 2 });
  });

  it("logs the first occurrence of a problem with its hint, then counts repeats into one line per interval", () => {
    const { logger, lines, clock } = rig({ repeatIntervalMs: 60_000 });
    logger.problem("egress oversize", 1, "frame too big", "lower the MTU");
    for (let i = 0; i < 1000; i++) {
      clock.now += 10;
      logger.problem("egress oversize", 3, "frame too big", "lower the MTU");
    }
    expect(lines).toEqual(["warning: frame too big (hint: lower the MTU) problem=\"egress oversize\" count=1"]);
    clock.now += 50_000;
    logger.problem("egress oversize", 1, "frame too big", "lower the MTU");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^warning: egress oversize: 3001 more in the last 60 s \(3002 since start\)/);
    expect(logger.problemTotals()).toEqual({ "egress oversize": 3002 });
  });

  it("reports repeats not yet reported when flushed (shutdown)", () => {
    const { logger, lines } = rig();
    logger.problem("send failed", 1, "send failed", "check the route");
    logger.problem("send failed", 5, "send failed", "check the route");
    logger.flushProblems();
    expect(lines[1]).toMatch(/^warning: send failed: 5 more/);
    logger.flushProblems();
    expect(lines).toHaveLength(2);
  });
});

describe("ProblemWatch", () => {
  it("logs what grew since the last check, not what happened before the watch started", () => {
    const { logger, lines } = rig();
    const stats = new DataplaneStats();
    stats.egress.drop(DropReason.oversize, 7);
    const watch = new ProblemWatch({ stats }, logger);
    watch.check();
    expect(lines).toEqual([]);
    stats.egress.drop(DropReason.oversize, 2);
    stats.ingress.drop(DropReason.unknownPeer, 1);
    watch.check();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^warning: a frame from a TAP was larger than its segment's MTU.*hint: set the MTU.*count=2$/);
    expect(lines[1]).toMatch(/peers add ADDR/);
  });

  it("names the last send error of the addon in the first line about failed sends", () => {
    const { logger, lines } = rig();
    const stats = new DataplaneStats();
    const io = { readErrors: 0, writeErrors: 0, recvErrors: 0, sendErrors: 0, truncated: 0, malformed: 0, gsoFallbacks: 0, gsoDisabled: 0, badChecksumOffsets: 0, lastError: "" };
    const watch = new ProblemWatch({ stats, ioCounters: () => io }, logger);
    io.sendErrors = 4;
    io.lastError = "EHOSTUNREACH (sendmmsg)";
    watch.check();
    expect(lines).toEqual([expect.stringMatching(/^warning: sending to a peer failed \(EHOSTUNREACH \(sendmmsg\)\) \(hint: is the peer reachable\?/)]);
  });
});
