// `vxswitch capture`: frames from the running switch into a pcap file or stdout (`-w - | tshark -r -`).
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { controlStream } from "../control/control-stream.js";
import type { StreamSummary } from "../control/observer-stream.js";
import type { CaptureHeader } from "../debug/capture-session.js";
import { PcapWriter } from "../wire/pcap.js";
import { UsageError } from "./usage-error.js";

export interface CaptureFlags {
  control: string;
  vni?: number;
  peer?: string;
  mac?: string;
  inner?: boolean;
  outer?: boolean;
  count?: number;
  duration?: number;
  write?: string;
}

/** Output the client holds before it stops reading from the switch (which then counts losses). */
const MAX_BUFFERED = 4 << 20;

function openOutput(path: string): Writable {
  if (path === "-") return process.stdout;
  const file = createWriteStream(path);
  return file;
}

function closeOutput(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out === process.stdout) {
      if (out.writableLength === 0) resolve();
      else out.once("drain", () => resolve());
      return;
    }
    out.once("error", reject);
    out.end(() => resolve());
  });
}

export async function runCapture(flags: CaptureFlags): Promise<void> {
  if (flags.inner === true && flags.outer === true) throw new UsageError("--inner and --outer exclude each other", "vxswitch capture");
  if (flags.write === undefined) throw new UsageError("-w FILE (or -w - for stdout) is required", "vxswitch capture");
  if (flags.write === "-" && process.stdout.isTTY) throw new UsageError("refusing to write pcap to a terminal; pipe it (-w - | tshark -r -) or give -w FILE", "vxswitch capture");
  const out = openOutput(flags.write);
  const opened = new Promise<void>((resolve, reject) => {
    if (out === process.stdout) resolve();
    else out.once("open", () => resolve()).once("error", (err: Error) => reject(new Error(`cannot write ${flags.write}: ${err.message}`)));
  });
  await opened;
  let writer: PcapWriter | undefined;
  const client = controlStream(flags.control, {
    cmd: "capture",
    vni: flags.vni,
    peer: flags.peer,
    mac: flags.mac,
    outer: flags.outer === true,
    count: flags.count,
    duration: flags.duration,
  }, {
    onHeader: (header) => {
      const h = header as CaptureHeader;
      writer = new PcapWriter(out, h.linktype, h.snaplen);
      // Like tcpdump's "listening on": the capture is attached from here on.
      const what = h.outer ? `outer ${h.encap} packets (link-type RAW)` : "inner Ethernet frames (link-type EN10MB)";
      process.stderr.write(`capturing ${what}; Ctrl-C to stop\n`);
    },
    onItem: (item) => {
      const { t, d } = item as { t: number; d: string };
      const data = Buffer.from(d, "base64");
      writer?.write(data, 0, data.length, t);
      if (out.writableLength > MAX_BUFFERED) {
        client.pause();
        out.once("drain", () => client.resume());
      }
    },
  });
  const stop = (): void => client.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  // The reader went away (`| head`, tshark quit): end the capture, nobody reads it.
  out.on("error", stop);
  try {
    const summary = (await client.done) as StreamSummary;
    await closeOutput(out);
    process.stderr.write(`${writer?.packets ?? 0} frames captured, ${summary.lost} lost (reader too slow)\n`);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
