// The control socket: JSON lines on a unix socket; one request per line, one JSON answer per line.
import { createServer, type Server } from "node:net";
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";

export type ControlHandler = (request: ControlRequest) => unknown;
export interface ControlRequest {
  cmd: string;
  [arg: string]: unknown;
}

export const DEFAULT_CONTROL_PATH = "/run/vxswitch/vxswitch.sock";

export class ControlServer {
  private server: Server | undefined;

  constructor(readonly path: string, private readonly handlers: Record<string, ControlHandler>) {}

  async listen(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true });
    rmSync(this.path, { force: true });
    const server = createServer((conn) => {
      let pending = "";
      conn.setEncoding("utf8");
      conn.on("data", (chunk: string) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          conn.write(JSON.stringify(this.answer(line)) + "\n");
        }
      });
      conn.on("error", () => conn.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.path, () => resolve());
    });
  }

  private answer(line: string): unknown {
    let req: ControlRequest;
    try {
      req = JSON.parse(line) as ControlRequest;
    } catch {
      return { ok: false, error: "request is not JSON" };
    }
    const handler = this.handlers[req.cmd];
    if (handler === undefined) return { ok: false, error: `unknown command "${req.cmd}"; known: ${Object.keys(this.handlers).join(", ")}` };
    try {
      return { ok: true, result: handler(req) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  close(): void {
    this.server?.close();
    rmSync(this.path, { force: true });
  }
}
