// DHCP across the stretched segment: dnsmasq serves on br0 of h1, a container on h2 without an
// address runs dhclient, and DISCOVER/OFFER/REQUEST/ACK cross the tunnel (broadcasts flooded,
// replies switched). Once for VXLAN (VNI 42) and once for Ethernet-over-GRE (key 42).
import { statSync, readFileSync, existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { runDhclient, startDnsmasq, type DhcpClient, type DnsmasqServer } from "../../lab/dhcp.js";
import { ipIn, nsExec } from "../../lab/netns.js";
import { Lab, type LabContainer } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { because, cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, switchState } from "../helpers/lab.js";

cleanUpLabsAfterAll();

const SERVER_ADDRESS = "10.42.0.254";
const RANGE: [string, string] = ["10.42.0.100", "10.42.0.150"];

function inRange(address: string): boolean {
  const last = Number(address.split(".")[3]);
  return address.startsWith("10.42.0.") && last >= 100 && last <= 150;
}

/** What a DHCP client could touch outside its namespace, to compare before and after. */
function hostFiles(): string {
  const files = ["/etc/resolv.conf", "/var/lib/dhcp/dhclient.leases", "/var/lib/dhcp/dhclient.eth0.leases"];
  return files.map((f) => (existsSync(f) ? `${f} ${statSync(f).mtimeMs} ${readFileSync(f, "utf8").length}` : `${f} absent`)).join("\n");
}

describeLab("DHCP through vxswitch: dnsmasq on h1, dhclient in a container on h2", () => {
  describe.each(["vxlan", "gre"] as const)("over %s", (encap) => {
    let lab: Lab;
    let server: DnsmasqServer | undefined;
    let client: DhcpClient | undefined;
    let dhcpContainer: LabContainer;
    let capture: Capture | undefined;
    const switches: Array<{ name: string; vx: VxswitchProcess | undefined }> = [];
    const state = async (): Promise<string> => `${await switchState(switches)}\ndnsmasq:${server?.proc.transcript() ?? " not started"}\ndhclient:${client?.proc.transcript() ?? " not bound"}`;
    const filesBefore = hostFiles();

    beforeAll(async () => {
      requireVxswitchBuilt();
      lab = await Lab.create({ hosts: 2, containers: false, label: `dhcp-${encap}` });
      const [h1, h2] = [lab.host(1), lab.host(2)];
      await lab.addContainer(h1, { cidr: "10.42.0.1/24" });
      dhcpContainer = await lab.addContainer(h2, { cidr: "dhcp" });
      for (const host of [h1, h2]) {
        const vx = await VxswitchProcess.startWithConfig(host.ns, {
          local: host.underlayV4,
          encap,
          peers: lab.remotesOf(host),
          segments: [encap === "vxlan" ? { vni: 42, tap: "vxtap42", bridge: "br0" } : { key: 42, tap: "gretap42", bridge: "br0" }],
        });
        switches.push({ name: host.name, vx });
      }
      await ipIn(h1.ns, ["addr", "add", `${SERVER_ADDRESS}/24`, "dev", "br0"]);
      server = await startDnsmasq(h1.ns, { iface: "br0", range: RANGE });
      capture = await Capture.start({ ns: lab.switchNs, filter: encap === "vxlan" ? "udp port 4789" : "ip proto 47", direction: "in", snaplen: 1024 });
    });

    afterAll(async () => {
      try {
        await capture?.stop();
        await client?.stop();
        await server?.stop();
        await Promise.all(switches.map(({ vx }) => vx?.stop()));
      } finally {
        await lab?.destroy();
      }
    });

    it("leases an address from the range to the container on the other host", async () => {
      try {
        client = await runDhclient(dhcpContainer.ns, dhcpContainer.ifname);
      } catch (error) {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await state()}`, { cause: error });
      }
      expect(inRange(client.address), `bound to ${client.address}`).toBe(true);
      const lease = server!.leases().find((l) => l.mac === dhcpContainer.mac);
      expect(lease?.address, await because(lease === undefined, state)).toBe(client.address);
    });

    it("puts the leased address on the container's interface", async () => {
      const shown = await nsExec(dhcpContainer.ns, ["ip", "-4", "-o", "addr", "show", "dev", dhcpContainer.ifname]);
      expect(shown).toContain(`inet ${client!.address}/24`);
    });

    it("reaches the server and the container on h1 from the leased address", async () => {
      await expectNoLoss(await ping(dhcpContainer.ns, SERVER_ADDRESS, { count: 2 }), "DHCP client -> dnsmasq host", state);
      await expectNoLoss(await ping(dhcpContainer.ns, "10.42.0.1", { count: 2 }), "DHCP client -> container on h1", state);
    });

    it("carried the whole exchange (DISCOVER, OFFER, REQUEST, ACK) through the tunnel", async () => {
      await capture!.stop();
      // DHCP message types 1 DISCOVER, 2 OFFER, 3 REQUEST, 5 ACK.
      const types = new Set((await capture!.fields(["dhcp.option.dhcp"], "dhcp")).map((row) => row[0]));
      expect([...types].sort(), await capture!.summary("dhcp")).toEqual(expect.arrayContaining(["1", "2", "3", "5"]));
    });

    it("changed nothing outside the lab's namespaces (resolv.conf, /var/lib/dhcp)", () => {
      expect(hostFiles()).toBe(filesBefore);
    });
  });
});
