// Multicast group mode on the tunnel sockets: join the group, and send group traffic out of the underlay.
import { DgramSocket } from "./dgram-socket.js";
import type { TunnelSocket } from "./tunnel-socket.js";
import { UdpBatchSocket } from "./udp-batch-socket.js";

export interface GroupOptions {
  /** e.g. 239.1.1.1 or ff05::100. */
  group: string;
  /** Underlay interface to join on and send out of; by route when undefined. */
  dev: string | undefined;
  /** Multicast TTL / hop limit. */
  ttl: number;
  family: 4 | 6;
  /** Local underlay address (node:dgram names the IPv4 multicast interface by address). */
  local: string;
}

/** The address the receiving socket binds in group mode: group traffic is not addressed to local. */
export function groupBindAddress(family: 4 | 6): string {
  return family === 4 ? "0.0.0.0" : "::";
}

/**
 * Joins the group on every socket with loop off. The receiving socket needs the membership; the
 * senders need the interface, TTL and loop settings that come with the same call, and being bound
 * to local with an ephemeral port they never receive group traffic themselves.
 */
export function joinGroup(sockets: readonly TunnelSocket[], o: GroupOptions): void {
  try {
    for (const s of sockets) {
      if (s instanceof UdpBatchSocket) {
        s.joinGroup(o.group, { ifname: o.dev, ttl: o.ttl, loop: false });
      } else if (s instanceof DgramSocket) {
        // node:dgram names the interface by address for IPv4, by "::%ifname" for IPv6.
        const interfaceAddress = o.family === 4 ? o.local : o.dev === undefined ? undefined : `::%${o.dev}`;
        s.joinGroup(o.group, { interfaceAddress, ttl: o.ttl, loop: false });
      } else {
        throw new Error(`a ${s.kind} socket cannot join a multicast group`);
      }
    }
  } catch (err) {
    const where = o.dev === undefined ? "the routed interface (give --dev)" : o.dev;
    throw new Error(`cannot join multicast group ${o.group} on ${where}: ${(err as Error).message}`, { cause: err });
  }
}
