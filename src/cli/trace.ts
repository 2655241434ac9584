// `vxswitch trace`: live decisions of the running switch, one line per frame; `--packet`: what it would do with a frame.
import { controlRequest } from "../control/control-client.js";
import { controlStream } from "../control/control-stream.js";
import type { StreamSummary } from "../control/observer-stream.js";
import { parsePacketSpec, type PacketTrace } from "../debug/trace-packet.js";
import type { TraceEvent } from "../debug/trace-session.js";
import { UsageError } from "./usage-error.js";

export interface TraceFlags {
  control: string;
  vni?: number;
  peer?: string;
  mac?: string;
  count?: number;
  duration?: number;
  packet?: string;
  packetHex?: string;
  json?: boolean;
}

async function tracePacket(flags: TraceFlags): Promise<void> {
  let spec;
  try {
    const text = `${flags.vni !== undefined ? `vni ${flags.vni} ` : ""}${flags.packet ?? ""}`;
    spec = parsePacketSpec(text, flags.packetHex);
  } catch (err) {
    throw new UsageError((err as Error).message, "vxswitch trace");
  }
  const result = (await controlRequest(flags.control, { cmd: "trace-packet", ...spec })) as PacketTrace;
  if (flags.json) console.log(JSON.stringify(result, null, 2));
  else console.log(result.lines.join("\n"));
}

export async function runTrace(flags: TraceFlags): Promise<void> {
  if (flags.packet !== undefined || flags.packetHex !== undefined) {
    await tracePacket(flags);
    return;
  }
  const client = controlStream(flags.control, {
    cmd: "trace",
    vni: flags.vni,
    peer: flags.peer,
    mac: flags.mac,
    count: flags.count,
    duration: flags.duration,
  }, {
    onHeader: () => process.stderr.write("tracing; Ctrl-C to stop\n"),
    onItem: (item) => {
      const e = item as TraceEvent;
      process.stdout.write(flags.json ? `${JSON.stringify(e)}\n` : `${e.line}\n`);
    },
  });
  const stop = (): void => client.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.stdout.on("error", stop);
  try {
    const summary = (await client.done) as StreamSummary;
    process.stderr.write(`${summary.captured} frames traced, ${summary.lost} lost (reader too slow)\n`);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
