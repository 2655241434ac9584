// Poll errors reach JS and a throwing callback cannot kill the process (issue 10: the handle used
// to stop silently on EPOLLERR, and a throw went straight to the uncaught-exception handler).
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FdWatch, fdWatchCounters, MAX_POLL_ERRORS, setFdWatchLog } from "../../src/io/fd-watch.js";
import { loadNative } from "../../src/io/native.js";

const addon = loadNative();

/** A FIFO's two ends, non-blocking. Closing the read end puts EPOLLERR on the write end. */
interface Fifo {
  r: number;
  w: number;
}

let dir: string;
const open: number[] = [];
const logged: string[] = [];

function fifo(): Fifo {
  const path = join(dir, `f${open.length}`);
  execFileSync("mkfifo", [path]);
  const r = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const w = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  open.push(r, w);
  return { r, w };
}

function closeFd(fd: number): void {
  const i = open.indexOf(fd);
  if (i >= 0) open.splice(i, 1);
  closeSync(fd);
}

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting for the condition");
    await new Promise((r) => setTimeout(r, 5));
  }
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vxs-poll-"));
  logged.length = 0;
  setFdWatchLog((m) => logged.push(m));
});

afterEach(() => {
  for (const fd of open.splice(0)) closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

describe("pollStart", () => {
  it("hands a poll error to the callback as an Error with a code, once, then stays quiet", async () => {
    const { r, w } = fifo();
    const calls: (Error | undefined)[] = [];
    const h = addon.pollStart(w, (err?: Error) => calls.push(err));
    closeFd(r);
    await until(() => calls.length > 0);
    await new Promise((res) => setTimeout(res, 50));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toBeInstanceOf(Error);
    expect((calls[0] as NodeJS.ErrnoException).code).toBe("EBADF");
    expect(calls[0]!.message).toMatch(/polling fd \d+ failed/);
    addon.pollStop(h);
  });

  it("calls a readable wakeup without arguments", async () => {
    const { r, w } = fifo();
    const calls: unknown[][] = [];
    const h = addon.pollStart(r, (...args: unknown[]) => calls.push(args));
    writeSync(w, "x");
    await until(() => calls.length > 0);
    addon.pollStop(h);
    expect(calls[0]).toEqual([]);
  });
});

describe("FdWatch", () => {
  it("catches, counts and logs a throwing callback, and keeps watching", async () => {
    const { r, w } = fifo();
    const watch = new FdWatch(addon, r);
    const before = fdWatchCounters().callbackErrors;
    let calls = 0;
    watch.set(() => {
      calls++;
      drain(r); // level-triggered: quiet until the next write
      if (calls === 1) throw new Error("boom from the dataplane");
    });
    writeSync(w, "a");
    await until(() => calls === 1);
    writeSync(w, "b");
    await until(() => calls === 2);
    watch.stop();
    expect(fdWatchCounters().callbackErrors - before).toBe(1);
    expect(logged.some((m) => m.includes("boom from the dataplane"))).toBe(true);
  });

  it("re-arms after a poll error, and gives up (logged, counted) when the error persists", async () => {
    const { r, w } = fifo();
    const watch = new FdWatch(addon, w);
    const before = fdWatchCounters();
    watch.set(() => undefined);
    closeFd(r);
    await until(() => fdWatchCounters().abandoned > before.abandoned, 10_000);
    const after = fdWatchCounters();
    expect(after.pollErrors - before.pollErrors).toBe(MAX_POLL_ERRORS + 1);
    expect(after.rearms - before.rearms).toBe(MAX_POLL_ERRORS);
    expect(logged.at(-1)).toMatch(/errors in a row, no longer watched/);
    watch.stop();
  });
});

/** Reads the FIFO empty (EAGAIN ends it). */
function drain(fd: number): void {
  const buf = Buffer.alloc(64);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } catch {
    // EAGAIN: drained.
  }
}
