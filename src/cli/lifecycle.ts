// `vxswitch reload` and `vxswitch down`: run-time control of a running switch through its control socket.
import { existsSync } from "node:fs";
import { controlRequest } from "../control/control-client.js";
import type { ReloadResult } from "../control/reload.js";

export async function runReload(control: string): Promise<void> {
  const result = (await controlRequest(control, { cmd: "reload" }, 15_000)) as ReloadResult;
  if (result.changes.length === 0 && result.failed.length === 0) console.log("configuration unchanged");
  for (const change of result.changes) console.log(change);
  if (result.failed.length > 0) throw new Error(`reload applied ${result.changes.length} changes, ${result.failed.length} failed: ${result.failed.join("; ")}`);
}

const DOWN_TIMEOUT_MS = 10_000;

/** Asks the switch to stop and waits until its control socket is gone (it removes it on the way out). */
export async function runDown(control: string): Promise<void> {
  await controlRequest(control, { cmd: "down" });
  const deadline = Date.now() + DOWN_TIMEOUT_MS;
  while (existsSync(control)) {
    if (Date.now() > deadline) throw new Error(`vxswitch at ${control} accepted down but is still there after ${DOWN_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
