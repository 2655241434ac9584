// Opening a switch's tunnel sockets: native batched UDP (or node:dgram as the fallback), a source-port pool, or one raw GRE socket.
import { DgramSocket } from "./dgram-socket.js";
import { GreSocket } from "./gre-socket.js";
import { groupBindAddress } from "./multicast-group.js";
import type { TunnelSocket, TunnelSockets } from "./tunnel-socket.js";
import { UdpBatchSocket } from "./udp-batch-socket.js";

/** How many sockets send, so the outer source port follows the inner flow (ECMP/RSS spreading). */
const SOURCE_PORT_SOCKETS = 8;
/** A deep receive queue rides out scheduling gaps of the single JS thread. */
const SOCKET_BUFFER_BYTES = 8 << 20;

export interface TunnelSocketOptions {
  encap: "vxlan" | "gre";
  family: 4 | 6;
  local: string;
  /** UDP port (VXLAN). */
  port: number;
  /** "auto": native batched UDP, node:dgram if the addon cannot. */
  io: "auto" | "batch" | "dgram";
  /** Group mode: group traffic is not addressed to local, so the receiving socket binds the wildcard (as kernel vxlan does). */
  group: boolean;
}

export interface OpenedSockets {
  sockets: TunnelSockets;
  io: "batch" | "dgram";
}

export async function openTunnelSockets(o: TunnelSocketOptions, log: (line: string) => void = () => {}): Promise<OpenedSockets> {
  const { family } = o;
  if (o.encap === "gre") {
    // One raw IPPROTO_GRE socket sends and receives: GRE has no ports, so no source-port pool.
    return { io: "batch", sockets: { main: GreSocket.open({ family, address: o.local, rcvBuf: SOCKET_BUFFER_BYTES, sndBuf: SOCKET_BUFFER_BYTES }), senders: [] } };
  }
  let io: "batch" | "dgram" = o.io === "dgram" ? "dgram" : "batch";
  const open = async (port: number, address = o.local): Promise<TunnelSocket> => {
    if (io === "batch") return UdpBatchSocket.open({ family, address, port, gro: true, gso: true, rcvBuf: SOCKET_BUFFER_BYTES, sndBuf: SOCKET_BUFFER_BYTES });
    return DgramSocket.open({ family, address, port, rcvBuf: SOCKET_BUFFER_BYTES });
  };
  // The senders stay on local, so the source the peers learn is ours.
  const mainAddress = o.group ? groupBindAddress(family) : o.local;
  let main: TunnelSocket;
  try {
    main = await open(o.port, mainAddress);
  } catch (err) {
    if (o.io !== "auto") throw err;
    log(`native batched UDP unavailable (${(err as Error).message}); falling back to node:dgram`);
    io = "dgram";
    main = await open(o.port, mainAddress);
  }
  const senders: TunnelSocket[] = [];
  try {
    for (let i = 0; i < SOURCE_PORT_SOCKETS; i++) senders.push(await open(0));
  } catch (err) {
    for (const s of [main, ...senders]) s.close();
    throw err;
  }
  return { io, sockets: { main, senders } };
}

export function closeTunnelSockets(s: TunnelSockets): void {
  for (const socket of [s.main, ...s.senders]) socket.close();
}

/** UDP_SEGMENT on the sockets that send (the source-port sockets when there are any). */
export function gsoState(s: TunnelSockets | undefined): { udpGso: boolean; udpGsoDisabled: number } {
  if (s === undefined) return { udpGso: false, udpGsoDisabled: 0 };
  const sending = s.senders.length > 0 ? s.senders : [s.main];
  return { udpGso: sending.every((x) => x.gso), udpGsoDisabled: sending.filter((x) => x.gsoDisabled === true).length };
}
