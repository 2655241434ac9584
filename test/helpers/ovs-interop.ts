// vxswitch on h1 against Open vSwitch's userspace datapath on h2 (br-phy + br-int, one tunnel
// port), one variant of encapsulation options per describe block.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Capture } from "../../lab/capture.js";
import { OvsTunnelHost, type OvsTunnelOptions } from "../../lab/ovs.js";
import { Lab } from "../../lab/topology.js";
import { VxswitchProcess, type VxswitchUpOptions } from "../../lab/vxswitch-process.js";
import { formatDrops, trafficSpecs, underlayCapture, wireOf, wireSpecs, type Wire } from "./interop.js";
import { requireVxswitchBuilt, switchState } from "./lab.js";
import { OVS_PATH } from "./tcp-floors.js";

export interface OvsVariant {
  label: string;
  tunnel: "gre" | "vxlan";
  /** GRE key / VXLAN VNI on both sides (GRE: omitted = no key). */
  key?: number;
  /** What vxswitch sends (GRE). */
  vxswitch?: { csum?: boolean; seq?: boolean };
  /** What OVS sends (GRE options:csum / options:seq). */
  ovs?: { csum?: boolean; seq?: boolean };
  /** The overlay MTU vxswitch must derive, given to both containers. */
  mtu: number;
  /** Build the lab and run only the variant's own checks (`more`), not the standard ones. */
  onlySetup?: boolean;
}

export interface OvsRig {
  lab: Lab;
  ovs: OvsTunnelHost;
  /** The OVS tunnel port's name in br-int. */
  port: string;
  vx: VxswitchProcess;
  wire: Wire;
  state: () => Promise<string>;
}

/**
 * Builds the lab for one variant (h1: vxswitch, h2: OVS) with the underlay captured from the
 * start, runs the traffic specs and tshark over what vxswitch sent, then `more(rig)` for the
 * variant's own checks. Everything is removed afterwards, also when a step fails.
 */
export function describeOvsInterop(variant: OvsVariant, more: (rig: () => OvsRig) => void = () => {}): void {
  describe(variant.label, () => {
    let lab: Lab | undefined;
    let ovs: OvsTunnelHost | undefined;
    let vx: VxswitchProcess | undefined;
    let capture: Capture | undefined;
    let port = "";
    const state = async (): Promise<string> => {
      const parts = [await switchState([{ name: "h1 vxswitch", vx }])];
      if (ovs !== undefined) {
        parts.push(`--- h2 Open vSwitch\n${await ovs.ovs.vsctl(["show"]).catch((e: unknown) => String(e))}`);
        parts.push(`${port}: ${JSON.stringify(await ovs.ovs.interfaceStats(port).catch(() => ({})))}\nlog:\n${ovs.ovs.logTail(15)}`);
      }
      return parts.join("\n");
    };
    const wire = wireOf(() => lab!, () => capture);
    const rig = (): OvsRig => ({ lab: lab!, ovs: ovs!, port, vx: vx!, wire, state });

    beforeAll(async () => {
      requireVxswitchBuilt();
      lab = await Lab.create({ hosts: 2, overlayMtu: variant.mtu, label: `ovs${variant.tunnel}` });
      const [h1, h2] = [lab.host(1), lab.host(2)];
      ovs = await OvsTunnelHost.create(lab, h2);
      const tunnel: OvsTunnelOptions = { type: variant.tunnel, remote: h1.underlayV4, key: variant.key, csum: variant.ovs?.csum, seq: variant.ovs?.seq };
      port = await ovs.addTunnel(tunnel);
      // Also teaches OVS (which snoops ARP on br-phy) where h1 is.
      await lab.checkUnderlay();
      // On OVS's side of the underlay: vxswitch's outer checksums are finished there (see OvsTunnelHost).
      capture = await underlayCapture(lab, variant.tunnel, h2);
      const up: VxswitchUpOptions = { local: h1.underlayV4, remotes: [h2.underlayV4], tap: "vxtap0", bridge: "br0" };
      if (variant.tunnel === "gre") {
        Object.assign(up, { encap: "gre", key: variant.key, greChecksum: variant.vxswitch?.csum, greSequence: variant.vxswitch?.seq });
      } else {
        up.vni = variant.key ?? 0;
      }
      vx = await VxswitchProcess.start(h1.ns, up);
    });

    afterAll(async () => {
      try {
        await capture?.stop();
        await vx?.stop();
        await ovs?.stop();
      } finally {
        await lab?.destroy();
      }
    });

    if (variant.onlySetup === true) {
      more(rig);
      return;
    }

    it(`derives the overlay MTU ${variant.mtu}`, async () => {
      const status = await vx!.status();
      expect((status.segments as Array<{ mtu: number }>)[0]?.mtu, JSON.stringify(status)).toBe(variant.mtu);
    });

    trafficSpecs(() => ({
      c1: lab!.container(1),
      c2: lab!.container(2),
      mtu: variant.mtu,
      state,
      label: `vxswitch <-> OVS ${variant.label}`,
      floor: OVS_PATH,
      peerDrops: () => ovs!.ovs.packetSocketDrops(),
    }));

    it("has OVS's tunnel port receive and send, and vxswitch count no drops", async () => {
      const stats = await ovs!.ovs.interfaceStats(port);
      expect(stats.rx_packets, `OVS ${port} ${JSON.stringify(stats)}`).toBeGreaterThan(0);
      expect(stats.tx_packets, `OVS ${port} ${JSON.stringify(stats)}`).toBeGreaterThan(0);
      const own = await vx!.stats();
      expect(own.ingress.frames).toBeGreaterThan(0);
      expect({ ingress: formatDrops(own.ingress.drops), egress: formatDrops(own.egress.drops) }, JSON.stringify(own)).toEqual({ ingress: {}, egress: {} });
    });

    wireSpecs(wire, () => [{ name: "h1 vxswitch", address: lab!.host(1).underlayV4 }], variant.tunnel, `vxswitch <-> OVS ${variant.label}`);

    more(rig);
  });
}
