// Classic pcap files (the libpcap format tcpdump and tshark read): global and record headers, a writer, a reader.

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const PCAPNG_MAGIC = 0x0a0d0d0a;

/** Global header: magic, version 2.4, thiszone, sigfigs, snaplen, linktype. */
export const PCAP_MAGIC = 0;
export const PCAP_VERSION_MAJOR = 4;
export const PCAP_VERSION_MINOR = 6;
export const PCAP_THISZONE = 8;
export const PCAP_SIGFIGS = 12;
export const PCAP_SNAPLEN = 16;
export const PCAP_LINKTYPE = 20;
export const PCAP_GLOBAL_HEADER_LEN = 24;

/** Record header: seconds, micro- (or nano-) seconds, captured length, original length. */
export const PCAP_REC_TS_SEC = 0;
export const PCAP_REC_TS_FRAC = 4;
export const PCAP_REC_INCL_LEN = 8;
export const PCAP_REC_ORIG_LEN = 12;
export const PCAP_RECORD_HEADER_LEN = 16;

export const LINKTYPE_ETHERNET = 1;
/** Raw IP packets (no link header), e.g. what a raw GRE socket sees with its IP header. */
export const LINKTYPE_RAW = 101;
/** Linux "cooked" captures (tcpdump -i any): a 16-byte (SLL) or 20-byte (SLL2) header with the ethertype. */
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;
/** Raw IPv4 / raw IPv6 packets. */
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const PCAP_DEFAULT_SNAPLEN = 262144;

/** A little-endian, microsecond global header. */
function pcapGlobalHeader(linktype: number, snaplen: number): Buffer {
  const out = Buffer.alloc(PCAP_GLOBAL_HEADER_LEN);
  out.writeUInt32LE(PCAP_MAGIC_USEC, PCAP_MAGIC);
  out.writeUInt16LE(2, PCAP_VERSION_MAJOR);
  out.writeUInt16LE(4, PCAP_VERSION_MINOR);
  out.writeInt32LE(0, PCAP_THISZONE);
  out.writeUInt32LE(0, PCAP_SIGFIGS);
  out.writeUInt32LE(snaplen, PCAP_SNAPLEN);
  out.writeUInt32LE(linktype, PCAP_LINKTYPE);
  return out;
}

/** Microseconds since the Unix epoch, finer than Date.now() (exact in a double until the year 2255). */
export function nowMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * A new Buffer holding one record: header and a copy of buf[off, off + len) cut at snaplen.
 * Copies because the packet's slab is reused by the next batch.
 */
function pcapRecord(buf: Buffer, off: number, len: number, timeUs: number, snaplen: number): Buffer {
  const captured = Math.min(len, snaplen);
  const out = Buffer.allocUnsafe(PCAP_RECORD_HEADER_LEN + captured);
  out.writeUInt32LE(Math.floor(timeUs / 1e6) >>> 0, PCAP_REC_TS_SEC);
  out.writeUInt32LE(timeUs % 1e6 >>> 0, PCAP_REC_TS_FRAC);
  out.writeUInt32LE(captured, PCAP_REC_INCL_LEN);
  out.writeUInt32LE(len, PCAP_REC_ORIG_LEN);
  buf.copy(out, PCAP_RECORD_HEADER_LEN, off, off + captured);
  return out;
}

/** Where the writer's bytes go: an fs.WriteStream, a socket, an array in a test. */
export interface PcapSink {
  write(chunk: Buffer): unknown;
}

/** Writes the global header on construction, then one record per packet into the sink. */
export class PcapWriter {
  packets = 0;
  bytes = PCAP_GLOBAL_HEADER_LEN;

  constructor(
    private readonly sink: PcapSink,
    readonly linktype = LINKTYPE_ETHERNET,
    readonly snaplen = PCAP_DEFAULT_SNAPLEN,
  ) {
    sink.write(pcapGlobalHeader(linktype, snaplen));
  }

  /** Records buf[off, off + len) with the given time (microseconds since the epoch). */
  write(buf: Buffer, off: number, len: number, timeUs: number = nowMicros()): void {
    const record = pcapRecord(buf, off, len, timeUs, this.snaplen);
    this.sink.write(record);
    this.packets++;
    this.bytes += record.length;
  }
}

export interface PcapFileHeader {
  littleEndian: boolean;
  /** Timestamps' fraction is in nanoseconds (magic 0xa1b23c4d) rather than microseconds. */
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linktype: number;
}

export interface PcapRecord {
  /** Offset of the record header in the file. */
  offset: number;
  tsSec: number;
  /** Microseconds, or nanoseconds when the file header says so. */
  tsFrac: number;
  /** Seconds since the epoch as a fraction, for display. */
  time: number;
  capturedLength: number;
  originalLength: number;
  /** The packet bytes: a view into the file Buffer, not a copy. */
  data: Buffer;
}

/** Parses a global header in either byte order; throws an error that says what the file is instead. */
function parsePcapFileHeader(file: Buffer): PcapFileHeader {
  if (file.length < 4) throw new Error("not a pcap file: shorter than its 4-byte magic number");
  const le = file.readUInt32LE(0);
  const be = file.readUInt32BE(0);
  if (be === PCAPNG_MAGIC) {
    throw new Error("this is a pcapng file; only classic pcap is read (convert it with: editcap -F pcap in.pcapng out.pcap)");
  }
  let littleEndian: boolean;
  let magic: number;
  if (le === PCAP_MAGIC_USEC || le === PCAP_MAGIC_NSEC) {
    littleEndian = true;
    magic = le;
  } else if (be === PCAP_MAGIC_USEC || be === PCAP_MAGIC_NSEC) {
    littleEndian = false;
    magic = be;
  } else {
    throw new Error(`not a pcap file: magic number 0x${be.toString(16).padStart(8, "0")}`);
  }
  if (file.length < PCAP_GLOBAL_HEADER_LEN) throw new Error("truncated pcap file: the global header needs 24 bytes");
  const u16 = (at: number): number => (littleEndian ? file.readUInt16LE(at) : file.readUInt16BE(at));
  const u32 = (at: number): number => (littleEndian ? file.readUInt32LE(at) : file.readUInt32BE(at));
  return {
    littleEndian,
    nanosecond: magic === PCAP_MAGIC_NSEC,
    versionMajor: u16(PCAP_VERSION_MAJOR),
    versionMinor: u16(PCAP_VERSION_MINOR),
    snaplen: u32(PCAP_SNAPLEN),
    linktype: u32(PCAP_LINKTYPE),
  };
}

/** Iterates the records of a pcap file held in memory; a cut-off last record sets `truncated`. */
export class PcapReader {
  readonly header: PcapFileHeader;
  truncated = false;

  constructor(private readonly file: Buffer) {
    this.header = parsePcapFileHeader(file);
  }

  *records(): Generator<PcapRecord> {
    const file = this.file;
    const le = this.header.littleEndian;
    const div = this.header.nanosecond ? 1e9 : 1e6;
    let at = PCAP_GLOBAL_HEADER_LEN;
    while (at < file.length) {
      if (at + PCAP_RECORD_HEADER_LEN > file.length) {
        this.truncated = true;
        return;
      }
      const u32 = (o: number): number => (le ? file.readUInt32LE(at + o) : file.readUInt32BE(at + o));
      const tsSec = u32(PCAP_REC_TS_SEC);
      const tsFrac = u32(PCAP_REC_TS_FRAC);
      const capturedLength = u32(PCAP_REC_INCL_LEN);
      const originalLength = u32(PCAP_REC_ORIG_LEN);
      const start = at + PCAP_RECORD_HEADER_LEN;
      if (start + capturedLength > file.length) {
        this.truncated = true;
        return;
      }
      yield {
        offset: at,
        tsSec,
        tsFrac,
        time: tsSec + tsFrac / div,
        capturedLength,
        originalLength,
        data: file.subarray(start, start + capturedLength),
      };
      at = start + capturedLength;
    }
  }

  [Symbol.iterator](): Generator<PcapRecord> {
    return this.records();
  }
}
