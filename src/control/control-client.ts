// Client side of the control socket: one request, one answer.
import { createConnection } from "node:net";
import type { ControlRequest } from "./control-server.js";

export async function controlRequest(path: string, request: ControlRequest, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(path);
    let data = "";
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer from vxswitch at ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding("utf8");
    conn.on("connect", () => conn.write(JSON.stringify(request) + "\n"));
    conn.on("data", (chunk: string) => {
      data += chunk;
      const nl = data.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      conn.end();
      const answer = JSON.parse(data.slice(0, nl)) as { ok: boolean; result?: unknown; error?: string };
      if (answer.ok) resolve(answer.result);
      else reject(new Error(answer.error ?? "request failed"));
    });
    conn.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint = err.code === "ENOENT" || err.code === "ECONNREFUSED" ? ` (is vxswitch running with --control ${path}?)` : "";
      reject(new Error(`cannot reach vxswitch control socket ${path}: ${err.code ?? err.message}${hint}`));
    });
  });
}
