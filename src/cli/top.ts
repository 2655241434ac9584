// `vxswitch top`: polls the running switch and redraws rates like top/iftop; --once prints one snapshot.
import { controlRequest } from "../control/control-client.js";
import type { InstanceStatus } from "../dataplane/status.js";
import { computeTop, renderTop, type TopSample } from "./top-view.js";
import type { StatsAnswer } from "./stats-answer.js";

export interface TopFlags {
  control: string;
  /** Seconds between samples (default 1). */
  delay?: number;
  iterations?: number;
  once?: boolean;
}

const CLEAR = "\x1b[H\x1b[2J";

async function sample(control: string): Promise<TopSample> {
  const stats = (await controlRequest(control, { cmd: "stats" })) as StatsAnswer;
  const status = (await controlRequest(control, { cmd: "status" })) as InstanceStatus;
  return { at: performance.now(), stats, status };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runTop(flags: TopFlags): Promise<void> {
  const delayMs = (flags.delay ?? 1) * 1000;
  let prev = await sample(flags.control);
  if (flags.once === true) {
    await sleep(delayMs);
    console.log(renderTop(computeTop(prev, await sample(flags.control))));
    return;
  }
  const tty = process.stdout.isTTY === true;
  let quit = false;
  const stdin = process.stdin;
  if (stdin.isTTY === true) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", (key: Buffer) => {
      // q, Q, Ctrl-C
      if (key[0] === 0x71 || key[0] === 0x51 || key[0] === 0x03) quit = true;
    });
  }
  try {
    for (let i = 0; !quit && (flags.iterations === undefined || i < flags.iterations); i++) {
      await sleep(delayMs);
      const next = await sample(flags.control);
      const screen = renderTop(computeTop(prev, next));
      process.stdout.write(tty ? `${CLEAR}${screen}\n` : `${screen}\n\n`);
      prev = next;
    }
  } finally {
    if (stdin.isTTY === true) {
      stdin.setRawMode(false);
      stdin.pause();
    }
  }
}
