// `vxswitch decode`: reads hex, pcap or pcapng from arguments, files or stdin and prints one block per packet.
import { existsSync, readFileSync } from "node:fs";
import { formatPackets } from "../debug/format.js";
import { decodeInput } from "../debug/input.js";
import { VXLAN_PORT, VXLAN_PORT_LINUX_LEGACY } from "../wire/vxlan.js";
import type { DecodedPacket, LinkStart } from "../debug/packet.js";

export interface DecodeFlags {
  json?: boolean;
  link?: LinkStart | "auto";
  /** Extra UDP ports decoded as VXLAN (4789 and 8472 always are). */
  vxlanPort?: number[];
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** An argument is a file when one exists by that name (or it looks like a capture's name); hex otherwise. */
async function bytesOf(input: string): Promise<Buffer> {
  if (input === "-") return readStdin();
  if (existsSync(input)) return readFileSync(input);
  if (/\.(pcap|pcapng|cap|txt|hex)$/i.test(input)) throw new Error(`cannot read ${input}: no such file`);
  return Buffer.from(input, "utf8");
}

export async function runDecode(inputs: string[], flags: DecodeFlags): Promise<void> {
  const packets: DecodedPacket[] = [];
  for (const input of inputs) {
    const bytes = await bytesOf(input);
    packets.push(...decodeInput(bytes, {
      link: flags.link,
      vxlanPorts: [VXLAN_PORT, VXLAN_PORT_LINUX_LEGACY, ...(flags.vxlanPort ?? [])],
      firstNumber: packets.length + 1,
    }));
  }
  process.stdout.write(flags.json ? `${JSON.stringify(packets, null, 2)}\n` : `${formatPackets(packets)}\n`);
}
