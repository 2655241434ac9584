// What `decode` reads: hex text (bare, colon-separated or tcpdump -xx/-X dumps) and pcap/pcapng bytes, into decoded packets.
import { isPcapng, readCaptureFile } from "../wire/pcapng.js";
import { PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC } from "../wire/pcap.js";
import { decodePacket, guessStart, startOfLinktype } from "./decode.js";
import { DEFAULT_DECODE_OPTIONS, type DecodeOptions } from "./decoder.js";
import type { DecodedPacket, LinkStart } from "./packet.js";

/** True when the bytes begin like a pcap or pcapng file (either byte order). */
export function isCaptureFile(bytes: Buffer): boolean {
  if (bytes.length < 4) return false;
  const le = bytes.readUInt32LE(0);
  const be = bytes.readUInt32BE(0);
  return isPcapng(bytes) || [PCAP_MAGIC_USEC, PCAP_MAGIC_NSEC].some((m) => m === le || m === be);
}

// tcpdump -xx / -X prefixes every line with an offset ("0x0010:"); -X appends an ASCII column after two spaces.
const OFFSET_PREFIX = /^\s*(?:0x)?[0-9a-f]+:\s+/i;

/**
 * Packets in hex text: blank lines separate packets; `#` starts a comment; whitespace, ':' and
 * '-' between bytes and a leading 0x are ignored; tcpdump's offsets and ASCII column are dropped.
 */
export function parseHexPackets(text: string): Buffer[] {
  const packets: Buffer[] = [];
  let current = "";
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    let line = raw.replace(/#.*/, "");
    if (OFFSET_PREFIX.test(line)) line = line.replace(OFFSET_PREFIX, "").split(/\s{2,}/)[0]!;
    line = line.trim().replace(/^0x/i, "").replace(/[\s:.-]/g, "");
    if (line === "") {
      if (current !== "") packets.push(hexBytes(current, i));
      current = "";
      return;
    }
    const bad = /[^0-9a-f]/i.exec(line);
    if (bad !== null) {
      throw new Error(`not hex: "${bad[0]}" in line ${i + 1} ("${raw.trim().slice(0, 40)}"); give hex bytes, a .pcap/.pcapng file, or - to read either from stdin`);
    }
    current += line;
  });
  if (current !== "") packets.push(hexBytes(current, lines.length));
  return packets;
}

function hexBytes(hex: string, line: number): Buffer {
  if (hex.length % 2 !== 0) throw new Error(`odd number of hex digits (${hex.length}) in the packet ending at line ${line}: a byte is two digits`);
  return Buffer.from(hex, "hex");
}

export interface DecodeInputOptions extends Partial<DecodeOptions> {
  /** Where every packet starts; "auto" (default) reads it from the capture's link type, or guesses for hex. */
  link?: LinkStart | "auto";
  /** Number of the first packet (to number packets across several inputs). */
  firstNumber?: number;
}

/** Decodes one input: a capture file's bytes, or hex text. */
export function decodeInput(bytes: Buffer, opts: DecodeInputOptions = {}): DecodedPacket[] {
  const options: DecodeOptions = { vxlanPorts: opts.vxlanPorts ?? DEFAULT_DECODE_OPTIONS.vxlanPorts };
  let number = opts.firstNumber ?? 1;
  const link = opts.link ?? "auto";
  if (isCaptureFile(bytes)) {
    const file = readCaptureFile(bytes);
    const out = file.records.map((r) => {
      const start = link !== "auto" ? link : startOfLinktype(r.linktype);
      const meta = { number: number++, originalLength: r.originalLength, time: r.time };
      if (start !== undefined) return decodePacket(r.data, start, meta, options);
      const packet = decodePacket(Buffer.alloc(0), "eth", meta, options);
      packet.problems = [{ message: `capture: link type ${r.linktype} is not decoded (Ethernet 1, raw IP 101/228/229, Linux cooked 113/276 are); try --link` }];
      packet.layers = [];
      return packet;
    });
    if (file.truncated && out.length > 0) {
      out[out.length - 1]!.problems.push({ message: `capture: the ${file.format} file ends inside the packet after this one (cut short, or still being written)` });
    }
    return out;
  }
  return parseHexPackets(bytes.toString("utf8")).map((data) =>
    decodePacket(data, link !== "auto" ? link : guessStart(data), { number: number++ }, options));
}
