// What a membership source outside the dataplane (etcd) reports through `status`, `peers` and metrics.

export interface MembershipStatus {
  backend: "etcd";
  endpoints: string[];
  prefix: string;
  /** connecting: before the first answer; connected; unreachable: working from the last known membership. */
  state: "connecting" | "connected" | "unreachable";
  /** ISO time the state began. */
  since: string;
  /** Why etcd is unreachable (the last error), while it is. */
  reason?: string;
  leaseSeconds: number;
  /** Registered hosts seen (this one included). */
  hosts: number;
  /** Registered hosts that cannot be peers (other encapsulation or UDP port). */
  incompatible: string[];
  /** Per VNI: the peers membership floods to. */
  floodPeers: Record<string, string[]>;
  publishMacs: boolean;
  macsPublished: number;
  macsInstalled: number;
  /** Requests sent to etcd, watch events received, sessions started again after a failure. */
  requests: number;
  watchEvents: number;
  reconnects: number;
}

/** One peer as membership sees it: made by etcd for these VNIs; held while etcd is unreachable. */
export interface PeerMembership {
  source: "etcd";
  vnis: number[];
  held?: { since: string; reason: string };
}

export interface MembershipReport {
  status(): MembershipStatus;
  peerInfo(address: string): PeerMembership | undefined;
}
