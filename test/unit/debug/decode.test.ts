import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodePacket, guessStart } from "../../../src/debug/decode.js";
import { formatPacket } from "../../../src/debug/format.js";
import { decodeInput } from "../../../src/debug/input.js";
import type { DecodedPacket } from "../../../src/debug/packet.js";
import { foldChecksum } from "../../../src/wire/checksum.js";
import { IPPROTO_TCP, pseudoHeaderSum } from "../../../src/wire/ip.js";
import { fillIpv4Checksum } from "../../../src/wire/ipv4.js";
import { fillUdpChecksum } from "../../../src/wire/udp.js";
import { GRE_ICMP, pcapFile, QINQ_ARP, TCP_PSH_ACK, TCP_SYN_MSS, UDP6, VXLAN6_TAGGED, VXLAN_ARP } from "../wire/vectors.js";

const WIRE_PCAP = readFileSync(new URL("../../vectors/wire.pcap", import.meta.url));
const WIRE_PCAPNG = readFileSync(new URL("../../vectors/wire.pcapng", import.meta.url));

const decode = (bytes: Buffer): DecodedPacket => decodePacket(bytes, "eth", { number: 1 });
const names = (p: DecodedPacket): string[] => p.layers.map((l) => l.name);
const messages = (p: DecodedPacket): string[] => p.problems.map((x) => x.message);
const layer = (p: DecodedPacket, name: string, nth = 0) => p.layers.filter((l) => l.name === name)[nth]!;
const copy = (b: Buffer): Buffer => Buffer.from(b);

describe("decode: known-good packets (test/vectors/wire.pcap)", () => {
  const packets = decodeInput(WIRE_PCAP);

  it("finds the seven packets and nothing wrong with any of them", () => {
    expect(packets).toHaveLength(7);
    expect(packets.flatMap(messages)).toEqual([]);
  });

  it("names every layer of each packet, outer to inner", () => {
    expect(packets.map(names)).toEqual([
      ["eth", "ip", "udp", "vxlan", "eth", "arp"],
      ["eth", "ip", "gre", "eth", "ip", "icmp"],
      ["eth", "ip", "tcp"],
      ["eth", "ip", "tcp"],
      ["eth", "ipv6", "udp", "data"],
      ["eth", "ipv6", "udp", "vxlan", "eth", "vlan", "ip", "icmp"],
      ["eth", "vlan", "arp"],
    ]);
  });

  it("prints one line per layer with the key fields tshark shows for frame 1", () => {
    expect(formatPacket(packets[0]!)).toBe([
      "#1  92 bytes  from eth  2025-01-01T00:00:00.000Z",
      "  eth     02:00:00:00:00:01 > 02:00:00:00:00:02 IPv4",
      "  ip      198.18.0.1 > 198.18.0.2 udp ttl 64 id 0x1234 len 78 csum ok DF",
      "  udp     45730 > 4789 len 58 csum 0x4472 ok",
      "  vxlan   vni 42 flags 0x08",
      "  eth     52:54:00:12:34:56 > ff:ff:ff:ff:ff:ff ARP",
      "  arp     who-has 10.0.0.2 tell 10.0.0.1",
    ].join("\n"));
  });

  it("shows GRE's flags, key, sequence and checksum (frame 2)", () => {
    expect(layer(packets[1]!, "gre").summary).toBe("flags C,K,S proto 0x6558 (TEB) key 42 seq 1 csum ok");
    expect(layer(packets[1]!, "icmp").summary).toBe("echo request code 0 id 7468 seq 1 csum 0x2406 ok");
  });

  it("shows TCP flags, sequence numbers and payload length (frames 3 and 4)", () => {
    expect(layer(packets[2]!, "tcp").summary).toBe("40000 > 5201 [SYN] seq 16909060 ack 0 win 64240 len 0 csum 0xd49b ok");
    expect(layer(packets[3]!, "tcp").fields.payloadLength).toBe(6);
  });

  it("shows the VLAN tag of an inner frame and QinQ's 802.1ad tag (frames 6 and 7)", () => {
    expect(layer(packets[5]!, "vxlan").fields.vni).toBe(0x123456);
    expect(layer(packets[5]!, "vlan").summary).toBe("802.1Q vid 100 pcp 5 IPv4");
    expect(layer(packets[6]!, "vlan").summary).toBe("802.1ad vid 200 pcp 3 dei ARP");
  });

  it("reads the same packets from the pcapng copy (written by editcap)", () => {
    const fromNg = decodeInput(WIRE_PCAPNG);
    expect(fromNg.map((p) => p.layers)).toEqual(packets.map((p) => p.layers));
    expect(fromNg.map((p) => p.time)).toEqual(packets.map((p) => p.time));
  });

  it("walks two stacked tags (802.1ad outside 802.1Q)", () => {
    const frame = Buffer.concat([QINQ_ARP.subarray(0, 16), Buffer.from("81000064", "hex"), QINQ_ARP.subarray(16)]);
    const p = decode(frame);
    expect(names(p)).toEqual(["eth", "vlan", "vlan", "arp"]);
    expect(p.layers[2]!.summary).toBe("802.1Q vid 100 pcp 0 ARP");
  });
});

describe("decode: what is wrong with a malformed packet", () => {
  it("drops a VXLAN packet whose I flag is clear, naming the dataplane's counter", () => {
    const b = copy(VXLAN_ARP);
    b[42] = 0x00;
    fillUdpChecksum(b, 14, 34, 58);
    const p = decode(b);
    expect(messages(p)).toEqual(["VXLAN: I flag clear (flags 0x00): the dataplane drops this (vxlanFlagI)"]);
    expect(p.problems[0]).toMatchObject({ reason: "vxlan-i-flag-clear", drop: "vxlanFlagI" });
    expect(names(p)).toEqual(["eth", "ip", "udp", "vxlan", "eth", "arp"]);
  });

  it("says how far a capture cut an IPv4 packet, layer by layer", () => {
    const p = decode(VXLAN_ARP.subarray(0, 60));
    expect(messages(p)).toEqual([
      "IPv4: total length 78 > 46 bytes captured",
      "UDP: length 58 > 26 bytes captured",
      "VXLAN: 10 bytes after the header, an inner Ethernet header needs 14: the dataplane drops this (runt)",
      "Ethernet: 10 bytes captured, the header needs 14",
    ]);
  });

  it("reports a bad outer IPv4 header checksum with the value it should hold", () => {
    const b = copy(VXLAN_ARP);
    b.writeUInt16BE(0, 24);
    expect(messages(decode(b))).toEqual(["IPv4: header checksum 0x0000 bad (should be 0x9c43): the kernel drops this before vxswitch reads it"]);
  });

  it("reports a bad outer UDP checksum as the kernel's drop", () => {
    const b = copy(VXLAN_ARP);
    b.writeUInt16BE(0x4473, 40);
    expect(messages(decode(b))).toEqual(["UDP: checksum 0x4473 bad (should be 0x4472): the kernel drops this before vxswitch reads it"]);
  });

  it("drops a GRE packet whose checksum does not match, and says the inner ICMP checksum is bad too", () => {
    const b = copy(GRE_ICMP);
    b[b.length - 1] ^= 1;
    const p = decode(b);
    expect(messages(p)).toEqual([
      "GRE: checksum 0x3ad0 bad (should be 0x3acf): the dataplane drops this (greChecksum)",
      "ICMP: checksum 0x2406 bad (should be 0x2405): vxswitch forwards it as it is; the receiving host drops it",
    ]);
    expect(layer(p, "gre").summary).toContain("csum bad");
  });

  it("drops GRE version 1 (PPTP) and routing-present GRE as greHeader", () => {
    const v1 = copy(GRE_ICMP);
    v1[35] = 0x01;
    expect(messages(decode(v1))).toEqual(["GRE: version 1, only 0 is GRE (1 is PPTP's enhanced GRE): the dataplane drops this (greHeader)"]);
    const routed = copy(GRE_ICMP);
    routed[34] = 0xf0;
    expect(messages(decode(routed))).toEqual([
      "GRE: routing present (flags 0xf000: R or strict source route), which RFC 2784 removed: the dataplane drops this (greHeader)",
    ]);
  });

  it("drops GRE that does not carry Ethernet (protocol 0x0800) and still decodes what it carries", () => {
    // C, K and S cleared: a 4-byte header, so the checksum cannot fail; then IPv4 straight after it.
    const inner = GRE_ICMP.subarray(64);
    const ip = Buffer.from(VXLAN_ARP.subarray(0, 34));
    ip[23] = 47;
    const b = Buffer.concat([ip, Buffer.from("00000800", "hex"), inner]);
    b.writeUInt16BE(20 + 4 + inner.length, 16);
    fillIpv4Checksum(b, 14);
    const p = decode(b);
    expect(messages(p)).toEqual([
      "GRE: protocol 0x0800 (IPv4), not 0x6558 (Transparent Ethernet Bridging): the dataplane drops this (greHeader)",
    ]);
    expect(names(p)).toEqual(["eth", "ip", "gre", "ip", "icmp"]);
    expect(layer(p, "gre").summary).toBe("flags none proto 0x0800 (IPv4) no key (segment 0)");
  });

  it("says a GRE header is shorter than its flags make it", () => {
    const b = copy(GRE_ICMP).subarray(0, 44);
    expect(messages(decode(b))).toContain("GRE: flags C,K,S make a 16-byte header, 10 bytes captured: the dataplane drops this (runt)");
  });

  it("shows a TCP checksum left partial by a same-host sender (CHECKSUM_PARTIAL) as partial, not bad", () => {
    const b = copy(TCP_PSH_ACK);
    b.writeUInt16BE(foldChecksum(pseudoHeaderSum(b, 14, IPPROTO_TCP, 26)), 50);
    const p = decode(b);
    expect(messages(p)).toEqual([]);
    expect(layer(p, "tcp").fields.checksumState).toBe("partial");
    expect(layer(p, "tcp").summary).toMatch(/csum 0x[0-9a-f]{4} partial \(pseudo-header sum\)$/);
  });

  it("says a TCP data offset is below the header's 20 bytes", () => {
    const b = copy(TCP_SYN_MSS);
    b[46] = 0x40;
    expect(messages(decode(b))).toContain("TCP: data offset 16 is below the 20-byte header");
  });

  it("says a UDP length is below its own header", () => {
    const b = copy(UDP6);
    b.writeUInt16BE(4, 58);
    expect(messages(decode(b))).toEqual(["UDP: length 4 is below the 8-byte header"]);
  });

  it("says an IPv6 payload length runs past the capture", () => {
    expect(messages(decode(UDP6.subarray(0, 60)))).toEqual([
      "IPv6: payload length 17 > 6 bytes captured after the header",
      "UDP: 6 bytes captured, the header needs 8",
    ]);
  });

  it("says a VLAN tag is cut off", () => {
    expect(messages(decode(QINQ_ARP.subarray(0, 16)))).toEqual(["802.1ad: the tag at offset 12 and the ethertype after it need 18 bytes, 16 captured"]);
  });

  it("says an inner IPv4 header claims a version it is not", () => {
    const b = copy(VXLAN6_TAGGED);
    b[88] = 0x55;
    expect(messages(decode(b))).toContain("IPv4: version 5 in the header of a packet sent as IPv4");
  });

  it("marks a packet the capture cut (snaplen) so that its length problems are read as the cut's", () => {
    const [p] = decodeInput(pcapFile([VXLAN_ARP], 1, 60));
    expect(messages(p!)[0]).toBe("capture: 60 of 92 bytes captured (snaplen): length and checksum problems past byte 60 come from the cut");
    expect(formatPacket(p!).split("\n")[0]).toBe("#1  60 bytes (of 92)  from eth  1970-01-01T00:00:00.000Z");
  });

  it("says which capture link types it cannot decode", () => {
    const [p] = decodeInput(pcapFile([VXLAN_ARP], 147));
    expect(messages(p!)).toEqual(["capture: link type 147 is not decoded (Ethernet 1, raw IP 101/228/229, Linux cooked 113/276 are); try --link"]);
  });
});

describe("decode: where bytes start", () => {
  it("guesses Ethernet, then IP, then a bare VXLAN header", () => {
    expect(guessStart(VXLAN_ARP)).toBe("eth");
    expect(guessStart(VXLAN_ARP.subarray(14))).toBe("ip");
    expect(guessStart(UDP6.subarray(14))).toBe("ip");
    expect(guessStart(VXLAN_ARP.subarray(42))).toBe("vxlan");
    expect(guessStart(Buffer.from("0102", "hex"))).toBe("eth");
  });

  it("decodes a raw IP capture (linktype 101) from the IP header", () => {
    const [p] = decodeInput(pcapFile([GRE_ICMP.subarray(14)], 101));
    expect(names(p!)).toEqual(["ip", "gre", "eth", "ip", "icmp"]);
    expect(p!.start).toBe("ip");
  });

  it("reads tcpdump -xx and -X dumps, colon-separated bytes and comments", () => {
    const dump = [
      "# tcpdump -xx",
      "\t0x0000:  ffff ffff ffff 5254 0012 3456 88a8 70c8  ..........",
      "\t0x0010:  0806 0001 0800 0604 0001 5254 0012 3456  ..........",
      "\t0x0020:  0a00 0001 0000 0000 0000 0a00 0002",
      "",
      "02:00:00:00:00:02:02:00:00:00:00:01:08:06",
    ].join("\n");
    const packets = decodeInput(Buffer.from(dump));
    expect(packets.map(names)).toEqual([["eth", "vlan", "arp"], ["eth"]]);
    expect(packets.map((p) => p.number)).toEqual([1, 2]);
  });

  it("refuses text that is not hex, saying where", () => {
    expect(() => decodeInput(Buffer.from("45 00 zz"))).toThrow('not hex: "z" in line 1 ("45 00 zz"); give hex bytes, a .pcap/.pcapng file, or - to read either from stdin');
    expect(() => decodeInput(Buffer.from("450"))).toThrow("odd number of hex digits (3) in the packet ending at line 1: a byte is two digits");
  });
});

