// The control socket as an attacker meets it: garbage and odd JSON, huge lines, slow and many
// clients, a permissive umask, a second switch on the same path, a replaced socket file.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ControlServer, type ControlHandler } from "../../../src/control/control-server.js";

const handlers: Record<string, ControlHandler> = {
  status: () => ({ up: true }),
  boom: () => {
    throw new Error("handler failed");
  },
};

let dir: string;
let path: string;
const servers: ControlServer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vxs-control-"));
  path = join(dir, "run", "vxswitch.sock");
});

afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(options: ConstructorParameters<typeof ControlServer>[2] = {}): Promise<ControlServer> {
  const server = new ControlServer(path, handlers, options);
  servers.push(server);
  await server.listen();
  return server;
}

/** A client that collects answer lines and notices when the server closes it. */
class Client {
  readonly answers: Record<string, unknown>[] = [];
  closed = false;
  private buffered = "";
  private waiters: (() => void)[] = [];
  readonly conn: Socket;

  constructor(at = path) {
    this.conn = createConnection(at);
    this.conn.setEncoding("utf8");
    this.conn.on("data", (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf("\n")) >= 0) {
        this.answers.push(JSON.parse(this.buffered.slice(0, nl)) as Record<string, unknown>);
        this.buffered = this.buffered.slice(nl + 1);
      }
      this.wake();
    });
    this.conn.on("error", () => {});
    this.conn.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async until(done: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out; answers so far: ${JSON.stringify(this.answers)}, closed ${this.closed}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async ask(lines: string[]): Promise<Record<string, unknown>[]> {
    const before = this.answers.length;
    this.conn.write(lines.map((l) => `${l}\n`).join(""));
    await this.until(() => this.answers.length >= before + lines.length);
    return this.answers.slice(before);
  }
}

describe("control socket requests", () => {
  it("answers null, numbers, arrays, strings, objects without cmd, a non-string cmd and garbage with errors, and keeps serving", async () => {
    await serve();
    const client = new Client();
    const odd = ["null", "123", "[]", '"x"', "{}", '{"cmd":5}', '{"cmd":null}', "{not json", "\u0000\u00ff", '{"cmd":"constructor"}', '{"cmd":"__proto__"}', '{"cmd":"boom"}'];
    const answers = await client.ask([...odd, '{"cmd":"status"}']);
    expect(answers.slice(0, odd.length).map((a) => a.ok)).toEqual(odd.map(() => false));
    for (const a of answers.slice(0, odd.length)) expect(typeof a.error).toBe("string");
    expect(answers[odd.indexOf('{"cmd":5}')]!.error).toMatch(/"cmd" must be a string/);
    expect(answers[odd.indexOf("{}")]!.error).toMatch(/no "cmd"/);
    expect(answers[odd.indexOf('{"cmd":"boom"}')]!.error).toBe("handler failed");
    expect(answers.at(-1)).toEqual({ ok: true, result: { up: true } });
    const another = new Client();
    expect(await another.ask(['{"cmd":"status"}'])).toEqual([{ ok: true, result: { up: true } }]);
  });

  it("answers a request split over many writes", async () => {
    await serve();
    const client = new Client();
    for (const part of ['{"cm', 'd":"st', 'atus"', "}"]) {
      client.conn.write(part);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await client.ask([""])).toEqual([{ ok: true, result: { up: true } }]);
  });

  it("cuts off a 16 MB line after one error answer without stalling the event loop or growing RSS", async () => {
    await serve();
    const rssBefore = process.memoryUsage().rss;
    let worstGapMs = 0;
    let last = performance.now();
    let measuring = true;
    const tick = (): void => {
      const now = performance.now();
      worstGapMs = Math.max(worstGapMs, now - last);
      last = now;
      if (measuring) setImmediate(tick);
    };
    setImmediate(tick);
    const client = new Client();
    client.conn.write(Buffer.alloc(16 * 1024 * 1024, 0x61));
    await client.until(() => client.closed, 10_000);
    measuring = false;
    expect(client.answers).toHaveLength(1);
    expect(client.answers[0]!.error).toMatch(/longer than 65536 bytes/);
    // The old server rescanned the growing line on every chunk: seconds of stall. 400 ms leaves
    // room for a loaded 2-core machine (the client's own 16 MB write runs in this process too).
    expect(worstGapMs).toBeLessThan(400);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
    expect(await new Client().ask(['{"cmd":"status"}'])).toHaveLength(1);
  });
});

describe("control socket clients", () => {
  it("refuses a client beyond the limit with an error, and serves again once one leaves", async () => {
    const server = await serve({ maxClients: 2 });
    const a = new Client();
    const b = new Client();
    await a.ask(['{"cmd":"status"}']);
    await b.ask(['{"cmd":"status"}']);
    const c = new Client();
    await c.until(() => c.closed);
    expect(c.answers[0]!.error).toMatch(/too many control clients/);
    a.conn.destroy();
    await a.until(() => server.clientCount === 1);
    expect(await new Client().ask(['{"cmd":"status"}'])).toHaveLength(1);
  });

  it("closes a client idle past the timeout, telling it why", async () => {
    await serve({ idleTimeoutMs: 200 });
    const slow = new Client();
    slow.conn.write('{"cmd":"sta');
    await slow.until(() => slow.closed, 3000);
    expect(slow.answers[0]!.error).toMatch(/idle for 200 ms/);
  });
});

describe("control socket file", () => {
  it("is mode 0600 in a 0700 directory it creates, even under umask 000", async () => {
    const previous = process.umask(0);
    try {
      await serve();
    } finally {
      process.umask(previous);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "run")).mode & 0o777).toBe(0o700);
  });

  it("refuses a second server on the path of a live one and leaves the first one's socket alone", async () => {
    await serve();
    const inode = statSync(path).ino;
    const second = new ControlServer(path, handlers);
    await expect(second.listen()).rejects.toThrow(`another vxswitch is already serving control socket ${path}`);
    second.close();
    expect(statSync(path).ino).toBe(inode);
    expect(await new Client().ask(['{"cmd":"status"}'])).toEqual([{ ok: true, result: { up: true } }]);
  });

  it("replaces a stale socket file left by a killed process", async () => {
    await staleSocketAt(path);
    expect(existsSync(path)).toBe(true);
    await serve();
    expect(await new Client().ask(['{"cmd":"status"}'])).toHaveLength(1);
  });

  it("on close removes the socket file only while it is still its own", async () => {
    const first = await serve();
    rmSync(path);
    const second = await serve();
    first.close();
    expect(existsSync(path)).toBe(true);
    expect(await new Client().ask(['{"cmd":"status"}'])).toHaveLength(1);
    second.close();
    expect(existsSync(path)).toBe(false);
  });
});

/** A socket file nobody listens on: a child binds it and is killed with SIGKILL. */
async function staleSocketAt(at: string): Promise<void> {
  const { mkdirSync } = await import("node:fs");
  const { dirname } = await import("node:path");
  mkdirSync(dirname(at), { recursive: true });
  const child = spawn(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(at)}, () => console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));
}
