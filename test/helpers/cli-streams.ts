// Stream commands (capture, trace) run beside switches in a lab: started, waited for, and all removed again.
import { spawnIn, type NsProcess } from "../../lab/netns.js";
import type { Lab } from "../../lab/topology.js";
import type { VxswitchProcess } from "../../lab/vxswitch-process.js";

/** Starts argv in ns, keeps it in `running` for teardown, and resolves once stderr matches `ready` (it is attached). */
export async function attachStream(running: NsProcess[], ns: string, argv: string[], ready: RegExp): Promise<NsProcess> {
  const proc = spawnIn(ns, argv);
  running.push(proc);
  await proc.waitFor(ready, { stream: "stderr", timeoutMs: 10_000 });
  return proc;
}

/** Kills what is still streaming, stops the switches, removes the lab (also when a stop fails). */
export async function tearDown(running: NsProcess[], switches: VxswitchProcess[], lab: Lab | undefined): Promise<void> {
  try {
    await Promise.all(running.map((p) => p.stop("SIGKILL")));
    await Promise.all(switches.map((vx) => vx.stop()));
  } finally {
    await lab?.destroy();
  }
}
