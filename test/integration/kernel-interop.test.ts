// vxswitch against the kernel's own vxlan driver: one host each, VNI 42, UDP 4789, a container
// behind each host's br0. ARP, ping and TCP must work both ways, for every I/O mode.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Capture } from "../../lab/capture.js";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { nsExecResult } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { iperfClient, neighbours, ping, startIperfServer, type IperfServer } from "../../lab/traffic.js";
import { VxswitchProcess, type IoMode } from "../../lab/vxswitch-process.js";
import { because, cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, stopThenDestroy, switchState } from "../helpers/lab.js";
import { DGRAM_PATH, expectHealthyTcp, FAST_PATH, type TcpFloor } from "../helpers/tcp-floors.js";

cleanUpLabsAfterAll();

const ioModes: IoMode[] = ["batch", "dgram"];
const floors: Record<IoMode, TcpFloor> = { batch: FAST_PATH, dgram: DGRAM_PATH };

describeLab("vxswitch interoperates with kernel vxlan", () => {
  describe.each(ioModes)("vxswitch --io %s on h1, kernel vxlan42 on h2", (io) => {
    let lab: Lab;
    let vx: VxswitchProcess | undefined;
    const state = (): Promise<string> => switchState([{ name: "h1 vxswitch", vx }]);

    beforeAll(async () => {
      requireVxswitchBuilt();
      lab = await Lab.create({ hosts: 2, label: io });
      const [h1, h2] = [lab.host(1), lab.host(2)];
      await addKernelVxlan(h2.ns, { vni: 42, local: h2.underlayV4, remotes: [h1.underlayV4] });
      vx = await VxswitchProcess.start(h1.ns, {
        local: h1.underlayV4,
        remotes: [h2.underlayV4],
        vni: 42,
        tap: "vxtap42",
        bridge: "br0",
        io,
      });
    });

    afterAll(() => stopThenDestroy(lab, vx));

    it("resolves the kernel side's container MAC by ARP across the tunnel", async () => {
      const [c1, c2] = [lab.container(1), lab.container(2)];
      const result = await ping(c1.ns, c2.address, { count: 1, timeout: 3 });
      const entry = (await neighbours(c1.ns, "eth0")).find((n) => n.dst === c2.address);
      const why = await because(entry?.lladdr !== c2.mac, async () => `neighbour entry ${JSON.stringify(entry)}\n${result.output}\n${await state()}`);
      expect(entry?.lladdr, why).toBe(c2.mac);
    });

    it("answers pings from the vxswitch side to the kernel side", async () => {
      const result = await ping(lab.container(1).ns, lab.container(2).address, { count: 5 });
      await expectNoLoss(result, `vxswitch -> kernel`, state);
    });

    it("answers pings from the kernel side to the vxswitch side", async () => {
      const result = await ping(lab.container(2).ns, lab.container(1).address, { count: 5 });
      await expectNoLoss(result, `kernel -> vxswitch`, state);
    });

    it("carries full 1450-byte overlay packets unfragmented both ways", async () => {
      const [c1, c2] = [lab.container(1), lab.container(2)];
      const size = 1450 - 28;
      await expectNoLoss(await ping(c1.ns, c2.address, { count: 2, size, dontFragment: true }), `1450-byte ping vxswitch -> kernel`, state);
      await expectNoLoss(await ping(c2.ns, c1.address, { count: 2, size, dontFragment: true }), `1450-byte ping kernel -> vxswitch`, state);
    });

    describe("TCP through the tunnel (iperf3, 3 s each way)", () => {
      let server: IperfServer;

      beforeAll(async () => {
        server = await startIperfServer(lab.container(2).ns, lab.container(2).address);
      });

      afterAll(async () => {
        await server?.stop();
      });

      it("carries TCP from vxswitch to kernel vxlan above the floor", async () => {
        const result = await iperfClient(lab.container(1).ns, lab.container(2).address, { seconds: 3 });
        await expectHealthyTcp(result, { floor: floors[io], what: `io ${io}: vxswitch -> kernel`, context: state });
      });

      it("puts only correct inner TCP checksums on the wire", async () => {
        const capture = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in" });
        try {
          await iperfClient(lab.container(1).ns, lab.container(2).address, { seconds: 1 });
        } finally {
          await capture.stop();
        }
        // Frames cut by the snap length are "unverified" (2); only complete ones can be bad (0).
        const bad = await capture.count("ip.src == 198.18.0.1 && tcp.checksum.status == 0");
        const good = await capture.count("ip.src == 198.18.0.1 && tcp.checksum.status == 1");
        expect(good, "verifiable TCP segments from vxswitch").toBeGreaterThan(0);
        expect(bad, `TCP segments from vxswitch with a bad checksum:\n${await capture.summary("tcp.checksum.status == 0", 10)}`).toBe(0);
      });

      it("carries TCP from kernel vxlan to vxswitch above the floor", async () => {
        const result = await iperfClient(lab.container(1).ns, lab.container(2).address, { seconds: 3, reverse: true });
        await expectHealthyTcp(result, { floor: floors[io], what: `io ${io}: kernel -> vxswitch`, context: state });
      });
    });

    it("keeps running through all of it", () => {
      expect(vx?.running, vx?.transcript()).toBe(true);
    });

    it("exits with status 0 on SIGTERM and removes its TAP", async () => {
      const exit = await vx?.stop();
      expect(exit, vx?.transcript()).toEqual({ code: 0, signal: null });
      const tap = await nsExecResult(lab.host(1).ns, ["ip", "link", "show", "dev", "vxtap42"]);
      expect(tap.code, `vxtap42 still exists after exit:\n${tap.stdout}`).not.toBe(0);
    });
  });
});
