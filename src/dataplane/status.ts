// What `status` says of a running switch: its settings, offloads, TAPs, peers and what membership, group mode, busy polling and encryption did.
import type { TapOffloads } from "../io/tap-offloads.js";
import type { TapKeeperCounters, TapState } from "../io/tap-keeper.js";
import type { BusyPollCounters } from "../io/busy-poll.js";
import type { MembershipStatus, PeerMembership } from "./membership-report.js";

export interface InstanceStatus {
  encap: string;
  io: string;
  local: string;
  /** UDP port (VXLAN); 0 for GRE. */
  port: number;
  /** GRE send options (checksum and sequence flags). */
  gre?: { checksum: boolean; sequence: boolean };
  /**
   * UDP socket offloads, and what the TAPs do (virtio-net header, checksum, TSO, USO). udpGso:
   * every sending socket has UDP_SEGMENT on; udpGsoDisabled: sockets where the kernel refused it
   * and it was switched off.
   */
  offloads: { udpGro: boolean; udpGso: boolean; udpGsoDisabled: number; sourcePortSockets: number } & TapOffloads;
  segments: { id: number; tap: string; vlan?: number; bridge?: string; mtu: number; tapMtu?: number }[];
  /** Each TAP's MAC and health: "recreating" after it was deleted, "stopped" when that failed for good. */
  taps: ({ name: string; mac: string; state: TapState } & TapKeeperCounters)[];
  /**
   * unicastOnly: made by a static FDB entry (`fdb add --dst`), never flooded to. txErrors:
   * messages to the peer the kernel refused (no route, unreachable, too big).
   */
  peers: { address: string; dynamic: boolean; unicastOnly?: boolean; membership?: PeerMembership; rxFrames: number; txFrames: number; rxBytes: number; txBytes: number; txErrors: number }[];
  /** Membership through etcd, when configured. */
  membership?: MembershipStatus;
  group?: { address: string; dev: string | undefined; ttl: number; txFrames: number };
  /** Busy polling: the window (µs, 0 = off), what it spins on, and what it did. */
  busyPoll: { windowUs: number; fds: number } & BusyPollCounters;
  /** Encrypted tunnels: the cipher, sealed segments ("all") and what the keys did. */
  encryption?: { cipher: string; segments: number[] | "all"; rotateSeconds: number; opened: number; txRotations: number; rxRotations: number; derivations: number };
  uptimeSeconds: number;
}
