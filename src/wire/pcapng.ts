// pcapng files (what Wireshark and dumpcap write): section header, interface description and packet blocks,
// read into the same records the classic pcap reader yields, each with its interface's link type.
import { PcapReader, type PcapRecord } from "./pcap.js";

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 0x00000001;
export const PCAPNG_SPB = 0x00000003;
export const PCAPNG_EPB = 0x00000006;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Block type and total length in front, total length again behind. */
const BLOCK_OVERHEAD = 12;
const OPT_IF_TSRESOL = 9;

/** A packet from either file format, with the link type its bytes start at. */
export interface CaptureRecord extends PcapRecord {
  linktype: number;
}

export interface CaptureFile {
  format: "pcap" | "pcapng";
  records: CaptureRecord[];
  /** The file ends inside a block or record (a capture still being written, or cut short). */
  truncated: boolean;
}

interface Interface {
  linktype: number;
  /** Timestamp units per second (if_tsresol; default microseconds). */
  unitsPerSecond: number;
}

export function isPcapng(file: Buffer): boolean {
  return file.length >= 4 && file.readUInt32BE(0) === PCAPNG_SHB;
}

/** Reads a whole capture held in memory, classic pcap or pcapng (by its magic number). */
export function readCaptureFile(file: Buffer): CaptureFile {
  if (isPcapng(file)) return readPcapng(file);
  const reader = new PcapReader(file);
  const records = [...reader].map((r) => ({ ...r, linktype: reader.header.linktype }));
  return { format: "pcap", records, truncated: reader.truncated };
}

/** Section header, interface description, enhanced and simple packet blocks; other blocks are skipped. */
export function readPcapng(file: Buffer): CaptureFile {
  const records: CaptureRecord[] = [];
  let interfaces: Interface[] = [];
  let le = true;
  let at = 0;
  while (at < file.length) {
    if (at + BLOCK_OVERHEAD > file.length) return { format: "pcapng", records, truncated: true };
    const rawType = file.readUInt32LE(at);
    if (rawType === PCAPNG_SHB) {
      // The section header's byte-order magic decides how every later number is read.
      if (at + 12 > file.length) return { format: "pcapng", records, truncated: true };
      const bom = file.readUInt32LE(at + 8);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (file.readUInt32BE(at + 8) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
      else throw new Error(`not a pcapng file: byte-order magic 0x${bom.toString(16)} at offset ${at + 8}`);
      interfaces = [];
    }
    const u16 = (o: number): number => (le ? file.readUInt16LE(o) : file.readUInt16BE(o));
    const u32 = (o: number): number => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
    const type = u32(at);
    const blockLen = u32(at + 4);
    if (blockLen < BLOCK_OVERHEAD || blockLen % 4 !== 0) {
      throw new Error(`malformed pcapng block at offset ${at}: total length ${blockLen} (a multiple of 4, at least 12)`);
    }
    if (at + blockLen > file.length) return { format: "pcapng", records, truncated: true };
    const end = at + blockLen - 4;
    if (type === PCAPNG_IDB && at + 16 <= end) {
      interfaces.push({ linktype: u16(at + 8), unitsPerSecond: tsResolution(file, at + 16, end, u16) });
    } else if (type === PCAPNG_EPB && at + 28 <= end) {
      const iface = interfaces[u32(at + 8)];
      if (iface === undefined) throw new Error(`pcapng packet at offset ${at} names interface ${u32(at + 8)}, which was not described`);
      const captured = u32(at + 20);
      if (at + 28 + captured > end) return { format: "pcapng", records, truncated: true };
      const units = u32(at + 12) * 0x1_0000_0000 + u32(at + 16);
      records.push(record(file, at, at + 28, captured, u32(at + 24), units / iface.unitsPerSecond, iface.linktype));
    } else if (type === PCAPNG_SPB && at + 12 <= end) {
      const iface = interfaces[0];
      if (iface === undefined) throw new Error(`pcapng simple packet at offset ${at} comes before any interface description`);
      const original = u32(at + 8);
      records.push(record(file, at, at + 12, Math.min(original, end - at - 12), original, 0, iface.linktype));
    }
    at += blockLen;
  }
  return { format: "pcapng", records, truncated: false };
}

function record(file: Buffer, offset: number, start: number, captured: number, original: number, time: number,
  linktype: number): CaptureRecord {
  const tsSec = Math.floor(time);
  return {
    offset, tsSec, tsFrac: Math.round((time - tsSec) * 1e6), time, capturedLength: captured, originalLength: original,
    data: file.subarray(start, start + captured), linktype,
  };
}

/** if_tsresol among an interface's options: 10^-n, or 2^-n with the high bit set; default 10^-6. */
function tsResolution(file: Buffer, at: number, end: number, u16: (o: number) => number): number {
  while (at + 4 <= end) {
    const code = u16(at);
    const len = u16(at + 2);
    if (code === 0) break;
    if (code === OPT_IF_TSRESOL && len >= 1 && at + 5 <= end) {
      const v = file[at + 4]!;
      return (v & 0x80) !== 0 ? 2 ** (v & 0x7f) : 10 ** v;
    }
    at += 4 + ((len + 3) & ~3);
  }
  return 1e6;
}
