// Encryption per segment and over GRE: VNI 42 sealed between two vxswitches (DHCP across it),
// VNI 43 clear beside it, meeting a kernel vxlan peer; and Ethernet over GRE sealed (ping, iperf3).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { runDhclient, startDnsmasq, type DhcpClient, type DnsmasqServer } from "../../lab/dhcp.js";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { ipIn, nsExec } from "../../lab/netns.js";
import { Lab, type LabContainer } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { expectIperfThrough, keyFile } from "../helpers/encryption.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, stopThenDestroy, switchState } from "../helpers/lab.js";

cleanUpLabsAfterAll();

const PATTERN = "0badc0ffee0ddf00d0badc0ffee0ddf0";
const PATTERN_BYTES = PATTERN.match(/../g)!.join(":");


describeLab("encryption per segment and over GRE", () => {
  describe("VNI 42 sealed (DHCP across), VNI 43 clear toward a kernel vxlan peer", () => {
    let lab: Lab;
    const switches: { name: string; vx: VxswitchProcess | undefined }[] = [];
    let server: DnsmasqServer | undefined;
    let client: DhcpClient | undefined;
    let dhcpContainer: LabContainer;
    let clear1: LabContainer;
    let clear3: LabContainer;
    let capture: Capture | undefined;
    const state = (): Promise<string> => switchState(switches);

    beforeAll(async () => {
      requireVxswitchBuilt();
      lab = await Lab.create({ hosts: 3, containers: false, label: "crypt-seg" });
      const [h1, h2, h3] = [lab.host(1), lab.host(2), lab.host(3)];
      await lab.addContainer(h1, { cidr: "10.42.0.1/24" });
      dhcpContainer = await lab.addContainer(h2, { cidr: "dhcp" });
      clear1 = await lab.addContainer(h1, { cidr: "10.43.0.1/24", bridge: "br1" });
      clear3 = await lab.addContainer(h3, { cidr: "10.43.0.3/24", bridge: "br1" });
      const key = keyFile();
      for (const host of [h1, h2]) {
        const vx = await VxswitchProcess.startWithConfig(host.ns, {
          local: host.underlayV4,
          peers: lab.remotesOf(host),
          segments: [{ vni: 42, tap: "vxtap42", bridge: "br0" }, { vni: 43, tap: "vxtap43", bridge: "br1" }],
          encryption: { keyFile: key, segments: [42] },
        });
        switches.push({ name: host.name, vx });
      }
      await addKernelVxlan(h3.ns, { vni: 43, local: h3.underlayV4, remotes: [h1.underlayV4, h2.underlayV4], bridge: "br1" });
      await ipIn(h1.ns, ["addr", "add", "10.42.0.254/24", "dev", "br0"]);
      server = await startDnsmasq(h1.ns, { iface: "br0", range: ["10.42.0.100", "10.42.0.150"] });
      capture = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in", snaplen: 1024 });
    }, 60_000);

    afterAll(async () => {
      // Everything this suite started, then the lab (also when a stop fails).
      const stops = [capture?.stop(), client?.stop(), server?.stop(), ...switches.map(({ vx }) => vx?.stop())];
      await Promise.allSettled(stops);
      await lab?.destroy();
    });

    it("leases an address over the sealed segment and reaches the server from it", async () => {
      client = await runDhclient(dhcpContainer.ns, dhcpContainer.ifname).catch(async (error: unknown) => {
        throw new Error(`dhclient over the sealed segment: ${String(error)}\n${await state()}`, { cause: error });
      });
      expect(client.address).toMatch(/^10\.42\.0\.1[0-5]\d$/);
      await expectNoLoss(await ping(dhcpContainer.ns, "10.42.0.254", { count: 2 }), "DHCP client -> dnsmasq host", state);
    });

    it("keeps VNI 43 clear: h1's container and the kernel vxlan peer's answer each other", async () => {
      await expectNoLoss(await ping(clear1.ns, clear3.address, { count: 3 }), "10.43.0.1 -> kernel vxlan peer's 10.43.0.3", state);
      await expectNoLoss(await ping(clear3.ns, clear1.address, { count: 3 }), "kernel vxlan peer -> 10.43.0.1", state);
    });

    it("shows tshark VNI 43 in the clear and VNI 42 only sealed (flags 0x40, no DHCP, no payload byte)", async () => {
      await nsExec(lab.container(1).ns, ["ping", "-n", "-c", "2", "-p", PATTERN, client!.address]);
      await capture!.stop();
      expect(await capture!.count("vxlan.vni == 43 && icmp")).toBeGreaterThan(0);
      expect(await capture!.count("dhcp"), await capture!.summary("dhcp")).toBe(0);
      expect(await capture!.count(`frame contains ${PATTERN_BYTES}`)).toBe(0);
      const flags = new Set((await capture!.fields(["udp.payload"], "ip.src == 198.18.0.1 && ip.dst == 198.18.0.2")).map((r) => r[0]!.slice(0, 2)));
      expect([...flags].sort()).toEqual(["08", "40"]);
    });
  });

  describe("Ethernet over GRE (key 42) sealed", () => {
    let lab: Lab;
    const switches: { name: string; vx: VxswitchProcess | undefined }[] = [];
    const state = (): Promise<string> => switchState(switches);

    beforeAll(async () => {
      requireVxswitchBuilt();
      lab = await Lab.create({ hosts: 2, label: "crypt-gre" });
      await lab.checkUnderlay();
      const key = keyFile();
      for (const host of lab.hosts) {
        const vx = await VxswitchProcess.startWithConfig(host.ns, {
          local: host.underlayV4,
          encap: "gre",
          peers: lab.remotesOf(host),
          segments: [{ key: 42, tap: "gretap42", bridge: "br0" }],
          encryption: { keyFile: key, cipher: "chacha20-poly1305" },
        });
        switches.push({ name: host.name, vx });
      }
    }, 60_000);

    afterAll(() => stopThenDestroy(lab, ...switches.map((s) => s.vx)));

    it("pings across with protocol 0x88b5 on the underlay and no payload byte visible", async () => {
      const capture = await Capture.start({ ns: lab.switchNs, filter: "ip proto 47", direction: "in", snaplen: 2048 });
      const out = await nsExec(lab.container(1).ns, ["ping", "-n", "-c", "4", "-i", "0.2", "-p", PATTERN, lab.container(2).address]).finally(() => capture.stop());
      expect(out, await state()).toMatch(/4 packets transmitted, 4 received/);
      expect(await capture.count("gre.proto == 0x88b5")).toBeGreaterThanOrEqual(8);
      expect(await capture.count("gre.proto == 0x6558")).toBe(0);
      expect(await capture.count(`frame contains ${PATTERN_BYTES}`)).toBe(0);
    });

    it("carries iperf3 TCP across (the overlay MTU is 1430)", async () => {
      const status = await switches[0]!.vx!.status();
      expect((status.segments as { mtu: number }[])[0]!.mtu).toBe(1430);
      await expectIperfThrough(lab.container(1), lab.container(2), state);
    });
  });
});
