// The host around the TAPs: bridges (made, set up, removed again), a TAP's MAC, MTU, bridge, link state and address.
import { writeFileSync } from "node:fs";
import { parseAddress } from "./address.js";
import { native } from "./native.js";
import type { TapDevice } from "./tap-device.js";

/** How a TAP is set up on the host, at start and again when it is recreated. */
export interface TapSetup {
  tap: string;
  /** The TAP's link MTU. */
  mtu: number;
  mac: Buffer;
  bridge?: string;
  /** "ADDR/LEN" on the bridge, or on the TAP when there is no bridge. */
  address?: string;
}

export function bridgeExists(name: string): boolean {
  try {
    native.linkIndex(name);
    return true;
  } catch {
    return false;
  }
}

/** Bridges this switch made: made again if they vanish while we run, removed when we stop. */
export class HostBridges {
  private readonly created: string[] = [];

  constructor(private readonly log: (line: string) => void = () => {}) {}

  create(bridge: string): void {
    native.bridgeAdd(bridge);
    if (!this.created.includes(bridge)) this.created.push(bridge);
    this.disableMulticastSnooping(bridge);
    native.linkSetUp(bridge, true);
  }

  /**
   * A TAP as the segment wants it: its stable MAC (so neighbours' ARP entries survive restarts),
   * MTU, bridge (ours is made again if it went too), link up, and the address when it sits on
   * the TAP (or on a bridge we had to make again).
   */
  setUpTap(device: TapDevice, s: TapSetup): void {
    device.setMac(s.mac);
    device.setMtu(s.mtu);
    let addressHome = s.bridge === undefined;
    if (s.bridge !== undefined) {
      if (!bridgeExists(s.bridge) && this.created.includes(s.bridge)) {
        this.create(s.bridge);
        addressHome = true;
      }
      device.attach(s.bridge);
    }
    device.up();
    if (s.address !== undefined && addressHome) {
      const [addr, len] = s.address.split("/");
      native.linkAddAddress(s.bridge ?? s.tap, parseAddress(addr!), Number(len));
    }
  }

  /** Removes the bridges we made (someone else may have removed them already). */
  removeCreated(): void {
    for (const b of this.created.splice(0)) {
      try {
        native.linkSetUp(b, false);
        native.bridgeDel(b);
      } catch {
        // Removed by someone else meanwhile.
      }
    }
  }

  /**
   * A new bridge with snooping on sends IGMP reports of its own that would be flooded into the
   * overlay; the kernel vxlan scripts' bridges are usually made without it. Best effort via sysfs.
   */
  private disableMulticastSnooping(bridge: string): void {
    try {
      writeFileSync(`/sys/class/net/${bridge}/bridge/multicast_snooping`, "0");
    } catch (err) {
      this.log(`could not turn multicast snooping off on ${bridge}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
}
