// UDP, TCP, ICMP and ICMPv6 for `decode`: ports, lengths, flags and checksums (ok, bad or partial).
import {
  checkIcmp, icmpChecksum, icmpChecksumIsValid, icmpCode, icmpEchoId, icmpEchoSeq, icmpIsEcho, icmpTypeName, icmpType,
  icmpv6ChecksumIsValid, ICMP_HEADER_LEN,
} from "../wire/icmp.js";
import { checksumAdd, finishChecksum } from "../wire/checksum.js";
import { IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, ipVersion, pseudoHeaderSum } from "../wire/ip.js";
import {
  checkTcp, computeTcpChecksum, formatTcpFlags, tcpAck, tcpChecksum, tcpChecksumIsValid, tcpDstPort, tcpFlags,
  tcpHeaderLength, tcpSeq, tcpSrcPort, tcpWindow, TcpReason, TCP_MIN_HEADER_LEN,
} from "../wire/tcp.js";
import {
  checkUdp, computeUdpChecksum, udpChecksum, udpChecksumIsValid, udpDstPort, udpLength, udpSrcPort, UdpReason,
  UDP_HEADER_LEN,
} from "../wire/udp.js";
import { transportChecksum } from "./checksum-state.js";
import { hex16, tooShort, type Walk } from "./decoder.js";
import type { Layer } from "./packet.js";
import { consequence, protocolName } from "./network.js";
import { decodeGre, decodeVxlan } from "./tunnel.js";

/** The transport header at buf[off, end) of the IP packet at ipOff. */
export function decodeTransport(w: Walk, protocol: number, ipOff: number, off: number, end: number): void {
  if (protocol === IPPROTO_UDP) decodeUdp(w, ipOff, off, end);
  else if (protocol === IPPROTO_TCP) decodeTcp(w, ipOff, off, end);
  else if (protocol === IPPROTO_ICMP || protocol === IPPROTO_ICMPV6) decodeIcmp(w, ipOff, off, end, protocol === IPPROTO_ICMPV6);
  else if (protocol === IPPROTO_GRE) decodeGre(w, off, end);
  else if (end > off) w.layer("data", off, `${end - off} bytes of ${protocolName(protocol)}`, { length: end - off });
}

function badChecksum(w: Walk, layer: Layer, what: string, text: string): void {
  w.problem(layer, `${what}: checksum ${text.replace(/^csum /, "")}: ${consequence(w)}`, `${what.toLowerCase()}-bad-checksum`);
}

function decodeUdp(w: Walk, ipOff: number, off: number, end: number): void {
  const buf = w.buf;
  const len = end - off;
  const reason = checkUdp(buf, off, len);
  if (len < UDP_HEADER_LEN) {
    w.problem(null, tooShort("UDP", len, UDP_HEADER_LEN), reason ?? undefined);
    return;
  }
  const src = udpSrcPort(buf, off);
  const dst = udpDstPort(buf, off);
  const length = udpLength(buf, off);
  const field = udpChecksum(buf, off);
  const layer = w.layer("udp", off, `${src} > ${dst} len ${length}`, { srcPort: src, dstPort: dst, length, checksum: field });
  if (reason === UdpReason.badLength) {
    w.problem(layer, `UDP: length ${length} is below the 8-byte header`, reason);
    return;
  }
  const complete = reason === null;
  if (!complete) w.problem(layer, `UDP: length ${length} > ${len} bytes captured`, reason);
  const dgramEnd = complete ? off + length : end;
  if (field === 0) {
    const v6 = ipVersion(buf, ipOff) === 6;
    layer.fields.checksumState = "none";
    layer.summary += " csum none";
    // RFC 6935 lets tunnels send zero over IPv6; other UDP over IPv6 must carry a checksum (RFC 8200).
    if (v6 && !w.options.vxlanPorts.includes(dst)) w.problem(layer, "UDP: checksum 0 over IPv6, where one is required (RFC 8200)");
  } else if (complete) {
    const verdict = transportChecksum(buf, ipOff, IPPROTO_UDP, length, field, udpChecksumIsValid(buf, ipOff, off, length),
      () => computeUdpChecksum(buf, ipOff, off, length));
    layer.fields.checksumState = verdict.state;
    layer.summary += ` ${verdict.text}`;
    if (verdict.state === "bad") badChecksum(w, layer, "UDP", verdict.text);
  }
  if (w.options.vxlanPorts.includes(dst)) decodeVxlan(w, off + UDP_HEADER_LEN, dgramEnd);
  else if (dgramEnd > off + UDP_HEADER_LEN) w.layer("data", off + UDP_HEADER_LEN, `${dgramEnd - off - UDP_HEADER_LEN} bytes`, { length: dgramEnd - off - UDP_HEADER_LEN });
}

function decodeTcp(w: Walk, ipOff: number, off: number, end: number): void {
  const buf = w.buf;
  const len = end - off;
  const reason = checkTcp(buf, off, len);
  if (len < TCP_MIN_HEADER_LEN) {
    w.problem(null, tooShort("TCP", len, TCP_MIN_HEADER_LEN), reason ?? undefined);
    return;
  }
  const src = tcpSrcPort(buf, off);
  const dst = tcpDstPort(buf, off);
  const hlen = tcpHeaderLength(buf, off);
  const flags = formatTcpFlags(tcpFlags(buf, off));
  const layer = w.layer("tcp", off, `${src} > ${dst} [${flags}] seq ${tcpSeq(buf, off)} ack ${tcpAck(buf, off)} win ${tcpWindow(buf, off)}`, {
    srcPort: src, dstPort: dst, seq: tcpSeq(buf, off), ack: tcpAck(buf, off), flags, window: tcpWindow(buf, off),
    headerLength: hlen, checksum: tcpChecksum(buf, off),
  });
  if (reason === TcpReason.badDataOffset) {
    w.problem(layer, `TCP: data offset ${hlen} is below the 20-byte header`, reason);
    return;
  }
  if (reason !== null) {
    w.problem(layer, `TCP: header length ${hlen} > ${len} bytes captured`, reason);
    return;
  }
  layer.summary += ` len ${len - hlen}`;
  layer.fields.payloadLength = len - hlen;
  const verdict = transportChecksum(buf, ipOff, IPPROTO_TCP, len, tcpChecksum(buf, off), tcpChecksumIsValid(buf, ipOff, off, len),
    () => computeTcpChecksum(buf, ipOff, off, len));
  layer.fields.checksumState = verdict.state;
  layer.summary += ` ${verdict.text}`;
  if (verdict.state === "bad") badChecksum(w, layer, "TCP", verdict.text);
}

function decodeIcmp(w: Walk, ipOff: number, off: number, end: number, v6: boolean): void {
  const buf = w.buf;
  const len = end - off;
  const name = v6 ? "ICMPv6" : "ICMP";
  const reason = checkIcmp(buf, off, len);
  if (reason !== null) {
    w.problem(null, tooShort(name, len, ICMP_HEADER_LEN), reason);
    return;
  }
  const type = icmpType(buf, off);
  const field = icmpChecksum(buf, off);
  const echo = icmpIsEcho(type) ? ` id ${icmpEchoId(buf, off)} seq ${icmpEchoSeq(buf, off)}` : "";
  const layer = w.layer(v6 ? "icmpv6" : "icmp", off, `${icmpTypeName(type, v6)} code ${icmpCode(buf, off)}${echo}`, {
    type, code: icmpCode(buf, off), checksum: field,
  });
  // ICMPv6 sums a pseudo header (so a sender may leave it partial); ICMP over IPv4 sums the message alone.
  const valid = v6 ? icmpv6ChecksumIsValid(buf, ipOff, off, len) : icmpChecksumIsValid(buf, off, len);
  const initial = v6 ? pseudoHeaderSum(buf, ipOff, IPPROTO_ICMPV6, len) : 0;
  // The field is left out of the sum rather than zeroed (the packet is not ours to change).
  const compute = (): number => finishChecksum(checksumAdd(buf, off + 4, len - 4, checksumAdd(buf, off, 2, initial)));
  const verdict = v6
    ? transportChecksum(buf, ipOff, IPPROTO_ICMPV6, len, field, valid, compute)
    : { state: valid ? "ok" as const : "bad" as const, text: `csum ${hex16(field)} ${valid ? "ok" : `bad (should be ${hex16(compute())})`}` };
  layer.fields.checksumState = verdict.state;
  layer.summary += ` ${verdict.text}`;
  if (verdict.state === "bad") badChecksum(w, layer, name, verdict.text);
}

