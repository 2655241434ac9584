// Client side of the control socket: one request, one answer.
import { createConnection } from "node:net";
import type { ControlRequest } from "./dispatch.js";

export async function controlRequest(path: string, request: ControlRequest, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(path);
    let data = "";
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.destroy();
      fn();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`no answer from vxswitch at ${path} within ${timeoutMs} ms`))), timeoutMs);
    conn.setEncoding("utf8");
    conn.on("connect", () => conn.write(JSON.stringify(request) + "\n"));
    conn.on("data", (chunk: string) => {
      data += chunk;
      const nl = data.indexOf("\n", data.length - chunk.length);
      if (nl < 0) return;
      settle(() => {
        const answer = parseAnswer(data.slice(0, nl));
        if (answer === undefined) reject(new Error(`vxswitch at ${path} answered something that is not a control answer`));
        else if (answer.ok) resolve(answer.result);
        else reject(new Error(answer.error ?? "request failed"));
      });
    });
    conn.on("close", () => settle(() => reject(new Error(`vxswitch at ${path} closed the connection without an answer`))));
    conn.on("error", (err: NodeJS.ErrnoException) => {
      const hint = err.code === "ENOENT" || err.code === "ECONNREFUSED" ? ` (is vxswitch running with --control ${path}?)` : "";
      const access = err.code === "EACCES" ? " (only the user who started vxswitch, normally root, may use its control socket)" : "";
      settle(() => reject(new Error(`cannot reach vxswitch control socket ${path}: ${err.code ?? err.message}${hint}${access}`)));
    });
  });
}

function parseAnswer(line: string): { ok: boolean; result?: unknown; error?: string } | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== "object" || value === null || !("ok" in value)) return undefined;
    return value as { ok: boolean; result?: unknown; error?: string };
  } catch {
    return undefined;
  }
}
