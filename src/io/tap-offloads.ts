// The TAP's offloads: opening a switch's TAPs with IFF_VNET_HDR and the most TUNSETOFFLOAD
// features the kernel accepts (falling back per feature), and how large a TAP read slot must be.
import { MAX_SUPER_FRAME } from "./native-abi.js";
import { TapDevice, TunOffload } from "./tap-device.js";
import { VIRTIO_NET_HDR_LEN } from "../wire/virtio-net.js";

/** What the TAPs deliver and accept; `status` shows it. */
export interface TapOffloads {
  /** Frames carry a 10-byte virtio-net header (IFF_VNET_HDR). */
  tapVnetHdr: boolean;
  /** The kernel hands frames with partial checksums (TUN_F_CSUM). */
  csum: boolean;
  /** TCP super-frames up to 64 KiB (TUN_F_TSO4 / TUN_F_TSO6), split in egress. */
  tso4: boolean;
  tso6: boolean;
  /** UDP super-frames (TUN_F_USO4|USO6, Linux >= 6.2). */
  uso: boolean;
}

const NO_OFFLOADS: TapOffloads = { tapVnetHdr: false, csum: false, tso4: false, tso6: false, uso: false };

/** Room for a frame read from a TAP with TSO: GRO-built skbs may reach 64 KiB of IP plus tags. */
export const TAP_SUPER_FRAME = MAX_SUPER_FRAME + 64;

// TUNSETOFFLOAD combinations from most to least; the kernel refuses bits it does not know (EINVAL).
const OFFLOAD_STEPS: { flags: number; tso: boolean; uso: boolean }[] = [
  { flags: TunOffload.CSUM | TunOffload.TSO4 | TunOffload.TSO6 | TunOffload.TSO_ECN | TunOffload.USO4 | TunOffload.USO6, tso: true, uso: true },
  { flags: TunOffload.CSUM | TunOffload.TSO4 | TunOffload.TSO6 | TunOffload.TSO_ECN, tso: true, uso: false },
  { flags: TunOffload.CSUM | TunOffload.TSO4 | TunOffload.TSO6, tso: true, uso: false },
  { flags: TunOffload.CSUM, tso: false, uso: false },
];

/**
 * Opens a TAP with IFF_VNET_HDR and the most offloads the kernel accepts; `enabled` false (or a
 * kernel without IFF_VNET_HDR) gives a plain TAP. Never fails for an offload alone.
 */
function openTapWithOffloads(name: string, enabled: boolean): { device: TapDevice; offloads: TapOffloads } {
  if (!enabled) return { device: TapDevice.open(name, { vnetHdr: false }), offloads: { ...NO_OFFLOADS } };
  let device: TapDevice;
  try {
    device = TapDevice.open(name, { vnetHdr: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EINVAL") throw err;
    return { device: TapDevice.open(name, { vnetHdr: false }), offloads: { ...NO_OFFLOADS } };
  }
  for (const step of OFFLOAD_STEPS) {
    try {
      device.setOffload(step.flags);
      return { device, offloads: { tapVnetHdr: true, csum: true, tso4: step.tso, tso6: step.tso, uso: step.uso } };
    } catch {
      // Try the next, smaller combination.
    }
  }
  return { device, offloads: { tapVnetHdr: true, csum: false, tso4: false, tso6: false, uso: false } };
}

/**
 * Opens a switch's TAPs alike: the first probes what the kernel offers, the others must get the
 * same (the ingress loop writes one format to every TAP).
 */
export class TapOffloadProbe {
  offloads: TapOffloads = { ...NO_OFFLOADS };
  private opened = 0;

  constructor(private readonly enabled: boolean) {}

  open(name: string): TapDevice {
    const { device, offloads } = openTapWithOffloads(name, this.opened === 0 ? this.enabled : this.offloads.tapVnetHdr);
    if (this.opened > 0 && describeOffloads(offloads) !== describeOffloads(this.offloads)) {
      device.close();
      throw new Error(`TAP ${name} got offloads "${describeOffloads(offloads)}", unlike the first TAP ("${describeOffloads(this.offloads)}"); start with offloads off (--no-offloads)`);
    }
    this.offloads = offloads;
    this.opened++;
    return device;
  }

  /** Slot size for TAP reads: room for the headroom, the virtio-net header and a super-frame (TSO/USO) or maxFrame. */
  tapSlotSize(headroom: number, maxFrame: number): number {
    const o = this.offloads;
    const frame = o.tso4 || o.tso6 || o.uso ? TAP_SUPER_FRAME : maxFrame;
    return headroom + (o.tapVnetHdr ? VIRTIO_NET_HDR_LEN : 0) + frame + 4;
  }
}

/** "vnet-hdr csum tso4 tso6 uso" / "none", for the log and `status`. */
export function describeOffloads(o: TapOffloads): string {
  const on = (["tapVnetHdr", "csum", "tso4", "tso6", "uso"] as const).filter((k) => o[k]).map((k) => (k === "tapVnetHdr" ? "vnet-hdr" : k));
  return on.length === 0 ? "none" : on.join(" ");
}
