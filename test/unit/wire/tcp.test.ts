import { describe, expect, it } from "vitest";
import {
  checkTcp, computeTcpChecksum, fillTcpChecksum, formatTcpFlags, TCP_ACK_FLAG, TCP_CHECKSUM, TCP_PSH, TCP_SEQ, TCP_SYN,
  tcpAck, tcpChecksum, tcpChecksumIsValid, tcpDstPort, tcpFlags, tcpHeaderLength, TcpReason, tcpSeq, tcpSrcPort,
  tcpWindow,
} from "../../../src/wire/tcp.js";
import { TCP_PSH_ACK, TCP_SYN_MSS } from "./vectors.js";

const IP = 14;
const TCP = 34;

describe("TCP header", () => {
  it("reads the SYN tshark decoded: 40000 > 5201, seq 16909060, hdr 24, MSS option, checksum 0xd49b", () => {
    expect(checkTcp(TCP_SYN_MSS, TCP, 24)).toBeNull();
    expect(tcpSrcPort(TCP_SYN_MSS, TCP)).toBe(40000);
    expect(tcpDstPort(TCP_SYN_MSS, TCP)).toBe(5201);
    expect(tcpSeq(TCP_SYN_MSS, TCP)).toBe(16909060);
    expect(tcpAck(TCP_SYN_MSS, TCP)).toBe(0);
    expect(tcpHeaderLength(TCP_SYN_MSS, TCP)).toBe(24);
    expect(tcpFlags(TCP_SYN_MSS, TCP)).toBe(TCP_SYN);
    expect(tcpWindow(TCP_SYN_MSS, TCP)).toBe(64240);
    expect(tcpChecksum(TCP_SYN_MSS, TCP)).toBe(0xd49b);
  });

  it("computes the checksums tshark accepted: 0xd49b (SYN) and 0x46dc (6 bytes of data)", () => {
    expect(computeTcpChecksum(TCP_SYN_MSS, IP, TCP, 24)).toBe(0xd49b);
    expect(tcpChecksumIsValid(TCP_SYN_MSS, IP, TCP, 24)).toBe(true);
    expect(computeTcpChecksum(TCP_PSH_ACK, IP, TCP, 26)).toBe(0x46dc);
    expect(tcpChecksumIsValid(TCP_PSH_ACK, IP, TCP, 26)).toBe(true);
    expect(tcpAck(TCP_PSH_ACK, TCP)).toBe(2695938257);
    expect(tcpFlags(TCP_PSH_ACK, TCP)).toBe(TCP_PSH | TCP_ACK_FLAG);
  });

  it("notices corrupted data", () => {
    const buf = Buffer.from(TCP_PSH_ACK);
    buf[buf.length - 2] ^= 0x20;
    expect(tcpChecksumIsValid(buf, IP, TCP, 26)).toBe(false);
  });

  it("fills the checksum after a sequence rewrite, as a TSO split must", () => {
    const buf = Buffer.from(TCP_PSH_ACK);
    buf.writeUInt32BE(tcpSeq(buf, TCP) + 1448, TCP + TCP_SEQ);
    expect(tcpChecksumIsValid(buf, IP, TCP, 26)).toBe(false);
    fillTcpChecksum(buf, IP, TCP, 26);
    expect(tcpChecksumIsValid(buf, IP, TCP, 26)).toBe(true);
    // seq + 1448 (0x5a8) adds 0x5a8 to the ones' complement sum, so the checksum drops by as much.
    expect(tcpChecksum(buf, TCP)).toBe(0x46dc - 0x5a8);
    buf.writeUInt16BE(0, TCP + TCP_CHECKSUM);
    fillTcpChecksum(buf, IP, TCP, 26);
    expect(tcpChecksum(buf, TCP)).toBe(0x46dc - 0x5a8);
  });

  it("drops a segment whose data offset is below 20 bytes or beyond the segment", () => {
    const buf = Buffer.from(TCP_SYN_MSS);
    buf[TCP + 12] = 0x40;
    expect(checkTcp(buf, TCP, 24)).toBe(TcpReason.badDataOffset);
    expect(checkTcp(TCP_SYN_MSS, TCP, 22)).toBe(TcpReason.truncated);
    expect(checkTcp(TCP_SYN_MSS, TCP, 19)).toBe(TcpReason.truncated);
    expect(checkTcp(TCP_SYN_MSS, TCP + 1, 24)).toBe(TcpReason.truncated);
  });

  it("names flags the way tshark does", () => {
    expect(formatTcpFlags(TCP_SYN | TCP_ACK_FLAG)).toBe("ACK,SYN");
    expect(formatTcpFlags(0x18)).toBe("ACK,PSH");
  });
});

describe("TCP payload", () => {
  it("starts after the data offset: 6 bytes of data behind a 20-byte header", () => {
    expect(checkTcp(TCP_PSH_ACK, TCP, 26)).toBeNull();
    const hlen = tcpHeaderLength(TCP_PSH_ACK, TCP);
    expect(hlen).toBe(20);
    expect(TCP_PSH_ACK.subarray(TCP + hlen).toString()).toBe("hello\n");
  });

  it("has the SYN's MSS option (kind 2, length 4, 1460) between byte 20 and the data offset", () => {
    expect(TCP_SYN_MSS.subarray(TCP + 20, TCP + tcpHeaderLength(TCP_SYN_MSS, TCP)).toString("hex")).toBe("020405b4");
  });
});
