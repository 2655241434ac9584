// Streaming answers on the control socket (capture, trace): one header answer, then JSON lines, then an end line.
//
// Framing, after the request line {"cmd":"capture",...} or {"cmd":"trace",...}:
//   {"ok":true,"result":HEADER}        the usual answer line, then zero or more item lines
//   {"item":...}                        one per frame (capture: {"t":µs,"len":bytes,"d":"base64"})
//   {"end":SUMMARY}                     last line; the switch then closes the connection.
// The client stops a stream early by sending any line (e.g. {"cmd":"stop"}) or by closing.
// A streaming connection is exempt from the idle timeout while it streams.
import type { Socket } from "node:net";

/** Where a stream writes its lines; write() says whether there is room for more right now. */
export interface StreamSink {
  write(line: string): boolean;
  /** Resolves when the client has read enough for write() to be worth calling again (or is gone). */
  writable(): Promise<void>;
  readonly closed: boolean;
}

export interface ControlStream {
  /** The answer to the request line (what the client needs to know before the items). */
  readonly header: unknown;
  /** Produces items until done or stopped; resolves with the summary sent as the last line. */
  run(sink: StreamSink): Promise<unknown>;
  /** The client asked to stop (or left): finish soon, still resolving run() with a summary. */
  stop(): void;
}

/** What a handler returns to answer with a stream instead of one result. */
export class StreamReply {
  constructor(readonly stream: ControlStream) {}
}

/** A sink over a socket that treats more than maxUnread bytes not yet taken by the client as full. */
export function socketSink(conn: Socket, maxUnread: number): StreamSink {
  return {
    write(line: string): boolean {
      if (conn.destroyed) return false;
      conn.write(line);
      return conn.writableLength < maxUnread;
    },
    writable(): Promise<void> {
      return conn.destroyed || conn.writableLength < maxUnread ? Promise.resolve() : drainedOrClosed(conn);
    },
    get closed(): boolean {
      return conn.destroyed;
    },
  };
}

/**
 * Runs a stream on a connection: writes the header answer, lifts the idle timeout, stops the
 * stream when the client sends anything or leaves, writes the end line and closes.
 */
export async function serveStream(conn: Socket, stream: ControlStream, maxUnread: number, encode: (value: unknown) => string): Promise<void> {
  conn.setTimeout(0);
  conn.write(encode({ ok: true, result: stream.header }));
  const stop = (): void => stream.stop();
  conn.on("data", stop);
  conn.on("end", stop);
  conn.on("close", stop);
  conn.resume();
  let summary: unknown;
  try {
    summary = await stream.run(socketSink(conn, maxUnread));
  } catch (err) {
    summary = { error: err instanceof Error ? err.message : String(err) };
  } finally {
    conn.off("data", stop);
    conn.off("end", stop);
    conn.off("close", stop);
  }
  if (!conn.destroyed) conn.end(encode({ end: summary }));
}

/** Resolves when the socket can take more (drain) or is gone (close). */
export function drainedOrClosed(conn: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      conn.off("drain", done);
      conn.off("close", done);
      resolve();
    };
    conn.on("drain", done);
    conn.on("close", done);
  });
}
