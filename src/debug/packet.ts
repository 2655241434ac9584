// What `vxswitch decode` says about one packet: its layers with their key fields, and what is wrong with it.
import type { DropReasonName } from "../dataplane/stats.js";

export type FieldValue = string | number | boolean | null;

/** A checksum as found: ok, bad, partial (the field holds the pseudo-header sum: CHECKSUM_PARTIAL), or none sent. */
export type ChecksumState = "ok" | "bad" | "partial" | "none";

export interface Problem {
  /** One sentence a person can act on, naming the layer: "IPv4: total length 1500 > 60 bytes captured". */
  message: string;
  /** The wire check's reason code when a check in src/wire failed ("ipv4-truncated"). */
  reason?: string;
  /** The counter the vxswitch dataplane adds such a packet to when it drops it (`vxswitch stats`, metrics). */
  drop?: DropReasonName;
}

export interface Layer {
  /** tshark's protocol names: eth, vlan, arp, ip, ipv6, udp, tcp, icmp, icmpv6, vxlan, gre, sll, data. */
  name: string;
  /** Offset of the header in the packet. */
  offset: number;
  /** One line of key fields. */
  summary: string;
  fields: Record<string, FieldValue>;
  problems: Problem[];
}

/** Where a packet's bytes start. */
export type LinkStart = "eth" | "ip" | "sll" | "sll2" | "vxlan" | "gre";

export interface DecodedPacket {
  /** 1-based, as tshark numbers frames. */
  number: number;
  start: LinkStart;
  capturedLength: number;
  /** Length on the wire when the capture cut the packet (snaplen); equal to capturedLength otherwise. */
  originalLength: number;
  /** Seconds since the epoch, from a capture file. */
  time?: number;
  layers: Layer[];
  /** Every layer's problems, plus those about the packet as a whole (its layer is named in the message). */
  problems: Problem[];
}
