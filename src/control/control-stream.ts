// Client side of a streaming control request (capture, trace): header, items, then the switch's summary.
import { createConnection } from "node:net";
import type { ControlRequest } from "./dispatch.js";
import { LineReader } from "./line-reader.js";

export interface StreamCallbacks {
  /** The answer to the request (e.g. a capture's link type), before any item. */
  onHeader(header: unknown): void;
  onItem(item: unknown): void;
}

export interface StreamClient {
  /** Resolves with the switch's summary (the end line); rejects when the request is refused or the switch goes away. */
  readonly done: Promise<unknown>;
  /** Asks the switch to end the stream; `done` still resolves with its summary. */
  stop(): void;
  /** Stops reading (our output is backed up): the switch then loses frames and counts them, it never waits. */
  pause(): void;
  resume(): void;
}

/** Longest line accepted from the switch: a base64 frame of 64 KiB and its JSON. */
const MAX_LINE = 1 << 20;

export function controlStream(path: string, request: ControlRequest, callbacks: StreamCallbacks): StreamClient {
  const conn = createConnection(path);
  const reader = new LineReader(MAX_LINE);
  let headerSeen = false;
  let stopped = false;
  const done = new Promise<unknown>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      conn.destroy();
      fn();
    };
    const handle = (line: string): void => {
      let value: { ok?: boolean; result?: unknown; error?: string; item?: unknown; end?: unknown };
      try {
        value = JSON.parse(line) as typeof value;
      } catch {
        settle(() => reject(new Error(`vxswitch at ${path} sent something that is not a JSON line`)));
        return;
      }
      if (!headerSeen) {
        headerSeen = true;
        if (value.ok !== true) settle(() => reject(new Error(value.error ?? "request failed")));
        else callbacks.onHeader(value.result);
        return;
      }
      if ("item" in value) callbacks.onItem(value.item);
      else if ("end" in value) settle(() => resolve(value.end));
    };
    conn.on("connect", () => conn.write(`${JSON.stringify(request)}\n`));
    conn.on("data", (chunk: Buffer) => {
      const { lines, overlong } = reader.push(chunk);
      for (const line of lines) if (!settled) handle(line);
      if (overlong) settle(() => reject(new Error(`vxswitch at ${path} sent a line longer than ${MAX_LINE} bytes`)));
    });
    conn.on("close", () => settle(() => reject(new Error(`vxswitch at ${path} closed the stream without its summary`))));
    conn.on("error", (err: NodeJS.ErrnoException) => {
      const hint = err.code === "ENOENT" || err.code === "ECONNREFUSED" ? ` (is vxswitch running with --control ${path}?)` : "";
      settle(() => reject(new Error(`cannot reach vxswitch control socket ${path}: ${err.code ?? err.message}${hint}`)));
    });
  });
  return {
    done,
    stop(): void {
      if (stopped || conn.destroyed) return;
      stopped = true;
      // Any line ends the stream; the switch answers with the summary and closes.
      if (conn.writable) conn.write(`${JSON.stringify({ cmd: "stop" })}\n`);
    },
    pause: () => conn.pause(),
    resume: () => conn.resume(),
  };
}
