// The control socket: JSON lines on a unix socket; one request per line, one JSON answer per line.
// Hostile clients are bounded: line length, number of clients, idle time, unread answers.
import { createServer, type Server, type Socket } from "node:net";
import { answerLine, encodeAnswer, type ControlHandler } from "./dispatch.js";
import { LineReader } from "./line-reader.js";
import { drainedOrClosed, serveStream, StreamReply } from "./stream.js";
import { listenPrivately, prepareSocketPath, removeIfOurs, type SocketIdentity } from "./socket-file.js";

export type { ControlHandler, ControlRequest } from "./dispatch.js";

export const DEFAULT_CONTROL_PATH = "/run/vxswitch/vxswitch.sock";

export interface ControlServerOptions {
  /** Longest request line; a longer one is answered with an error and the connection closed. */
  maxLineBytes?: number;
  /** Clients connected at once; one more is answered with an error and closed. */
  maxClients?: number;
  /** A client that sends nothing (and reads nothing) for this long is closed. */
  idleTimeoutMs?: number;
  /** Answers a client has not read; above this, its requests wait (the socket is not read). */
  maxUnreadBytes?: number;
  log?: (line: string) => void;
}

const DEFAULTS = { maxLineBytes: 64 * 1024, maxClients: 16, idleTimeoutMs: 30_000, maxUnreadBytes: 1024 * 1024 };
/** After a final error answer, how long a client that does not read it may hold the connection. */
const LINGER_MS = 1000;

export class ControlServer {
  private server: Server | undefined;
  private identity: SocketIdentity | undefined;
  private readonly clients = new Set<Socket>();
  private readonly opts: typeof DEFAULTS;
  private readonly log: (line: string) => void;

  constructor(
    readonly path: string,
    private readonly handlers: Readonly<Record<string, ControlHandler>>,
    options: ControlServerOptions = {},
  ) {
    const { log, ...limits } = options;
    this.opts = { ...DEFAULTS, ...limits };
    this.log = log ?? (() => {});
  }

  /** Connected clients now. */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Binds the socket (0600); refuses if another process serves the path, clears a stale file. */
  async listen(): Promise<void> {
    const { removedStale } = await prepareSocketPath(this.path);
    if (removedStale) this.log(`control socket ${this.path}: removed a stale socket file (nothing was listening)`);
    // Half-open: a client may send its requests and shut down its side (`nc -N`) before the
    // answers are written; the session ends our side once it has answered.
    const server = createServer({ allowHalfOpen: true }, (conn) => this.accept(conn));
    server.on("error", (err) => this.log(`control socket ${this.path}: ${err.message}`));
    try {
      this.identity = await listenPrivately(server, this.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // EEXIST here: another switch claimed the path between our probe and our link.
      const why = code === "EEXIST" ? "another vxswitch claimed it meanwhile" : (code ?? (err as Error).message);
      throw new Error(`cannot listen on control socket ${this.path}: ${why}`);
    }
    this.server = server;
  }

  private accept(conn: Socket): void {
    if (this.clients.size >= this.opts.maxClients) {
      finish(conn, `too many control clients (at most ${this.opts.maxClients}); try again later`);
      return;
    }
    this.clients.add(conn);
    conn.on("close", () => this.clients.delete(conn));
    conn.on("error", () => conn.destroy());
    conn.setTimeout(this.opts.idleTimeoutMs, () => finish(conn, `idle for ${this.opts.idleTimeoutMs} ms; closing`));
    new ControlSession(conn, this.handlers, this.opts).start();
  }

  /** Stops listening, drops the clients and removes the socket file if it is still ours. */
  close(): void {
    this.server?.close();
    this.server = undefined;
    for (const conn of this.clients) conn.destroy();
    this.clients.clear();
    if (this.identity !== undefined) removeIfOurs(this.path, this.identity);
    this.identity = undefined;
  }
}

/** Ends a connection with one last error answer; destroys it if the client does not take it. */
function finish(conn: Socket, error: string): void {
  conn.pause();
  conn.end(encodeAnswer({ ok: false, error }));
  setTimeout(() => conn.destroy(), LINGER_MS).unref();
}

/** One client: reads lines, answers them in order, one at a time, minding its unread answers. */
class ControlSession {
  private readonly reader: LineReader;
  private pending: string[] = [];
  private next = 0;
  private overlong = false;
  private busy = false;
  /** The client has sent everything it will send. */
  private ended = false;

  constructor(
    private readonly conn: Socket,
    private readonly handlers: Readonly<Record<string, ControlHandler>>,
    private readonly opts: typeof DEFAULTS,
  ) {
    this.reader = new LineReader(opts.maxLineBytes);
  }

  start(): void {
    this.conn.on("data", (chunk: Buffer) => this.onData(chunk));
    this.conn.on("end", () => {
      this.ended = true;
      if (!this.busy) this.conn.end();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.overlong) return;
    const { lines, overlong } = this.reader.push(chunk);
    for (const line of lines) if (line.trim() !== "") this.pending.push(line);
    this.overlong = overlong;
    if (overlong) this.conn.pause();
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    this.conn.pause();
    const conn = this.conn;
    while (this.next < this.pending.length && !conn.destroyed) {
      const line = this.pending[this.next++]!;
      const answer = await answerLine(line, this.handlers);
      if (answer.ok && answer.result instanceof StreamReply) {
        // A stream owns the connection until it ends, then closes it; later lines are not answered.
        await serveStream(conn, answer.result.stream, this.opts.maxUnreadBytes, (value) => `${JSON.stringify(value)}\n`);
        return;
      }
      const written = conn.write(encodeAnswer(answer));
      if (!written && conn.writableLength > this.opts.maxUnreadBytes) await drainedOrClosed(conn);
    }
    this.pending = [];
    this.next = 0;
    this.busy = false;
    if (conn.destroyed) return;
    if (this.overlong) finish(conn, `request line longer than ${this.opts.maxLineBytes} bytes; closing`);
    else if (this.ended) conn.end();
    else conn.resume();
  }
}

