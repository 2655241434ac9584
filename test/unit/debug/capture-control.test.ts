// A capture/trace stream on the control socket: header, items, end line; exempt from the idle timeout while it streams;
// a client's line stops it early with its summary.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ControlServer } from "../../../src/control/control-server.js";
import { controlStream } from "../../../src/control/control-stream.js";
import { StreamReply, type ControlStream, type StreamSink } from "../../../src/control/stream.js";

/** A stream that sends `n` items `everyMs` apart, or until stopped. */
function ticker(n: number, everyMs: number): ControlStream {
  let stopped = false;
  let wake: () => void = () => {};
  return {
    header: { linktype: 1 },
    async run(sink: StreamSink) {
      let sent = 0;
      while (sent < n && !stopped) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, everyMs);
        });
        if (stopped) break;
        sink.write(`${JSON.stringify({ item: sent++ })}\n`);
      }
      return { captured: sent, lost: 0, reason: stopped ? "stopped" : "count" };
    },
    stop() {
      stopped = true;
      wake();
    },
  };
}

describe("streaming control requests", () => {
  let server: ControlServer | undefined;
  let dir = "";
  afterEach(() => {
    server?.close();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  async function serve(stream: () => ControlStream): Promise<string> {
    dir = mkdtempSync(join(tmpdir(), "vxs-stream-"));
    const path = join(dir, "c.sock");
    server = new ControlServer(path, { capture: () => new StreamReply(stream()) }, { idleTimeoutMs: 100 });
    await server.listen();
    return path;
  }

  it("streams longer than the idle timeout, then ends with the summary", async () => {
    const path = await serve(() => ticker(5, 60));
    const items: unknown[] = [];
    let header: unknown;
    const client = controlStream(path, { cmd: "capture" }, { onHeader: (h) => (header = h), onItem: (i) => items.push(i) });
    expect(await client.done).toEqual({ captured: 5, lost: 0, reason: "count" });
    expect(header).toEqual({ linktype: 1 });
    expect(items).toEqual([0, 1, 2, 3, 4]);
  });

  it("stops when the client asks, still answering with the summary", async () => {
    const path = await serve(() => ticker(1000, 10));
    const items: unknown[] = [];
    const client = controlStream(path, { cmd: "capture" }, { onHeader: () => {}, onItem: (i) => {
      items.push(i);
      if (items.length === 3) client.stop();
    } });
    const summary = (await client.done) as { reason: string; captured: number };
    expect(summary.reason).toBe("stopped");
    expect(summary.captured).toBeGreaterThanOrEqual(3);
  });

  it("rejects with the handler's error when the stream is refused", async () => {
    dir = mkdtempSync(join(tmpdir(), "vxs-stream-"));
    const path = join(dir, "c.sock");
    server = new ControlServer(path, { capture: () => { throw new Error("4 captures/traces are running already; stop one first"); } });
    await server.listen();
    const client = controlStream(path, { cmd: "capture" }, { onHeader: () => {}, onItem: () => {} });
    await expect(client.done).rejects.toThrow(/running already/);
  });
});
