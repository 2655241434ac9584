// TCP between kernel vxlan and vxswitch on underlays with the offloads a new veth has (as users
// have them): the kernel side hands vxswitch partial checksums and GSO packets that crossed the
// underlay whole. iperf3 each way above a floor with few retransmissions, and a file whose
// sha256 must survive each way; over an IPv4 and an IPv6 underlay, and through a trunk segment.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { OvsInstance } from "../../lab/ovs.js";
import { Lab, type LabContainer } from "../../lab/topology.js";
import { iperfClient, ping, startIperfServer } from "../../lab/traffic.js";
import { VxswitchProcess } from "../../lab/vxswitch-process.js";
import { csumErrors, grown, randomFile, sendFile, type RandomFile } from "../helpers/file-transfer.js";
import { because, cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, switchState } from "../helpers/lab.js";
import { expectHealthyTcp, FAST_PATH, OVS_PATH, type TcpFloor } from "../helpers/tcp-floors.js";
import { TRUNK_BRIDGE } from "../helpers/trunk.js";

cleanUpLabsAfterAll();

const FILE_BYTES = 16 * 1024 * 1024;

interface Ends {
  /** Container behind vxswitch. */
  vxswitchSide: LabContainer;
  /** Container behind the kernel's vxlan. */
  kernelSide: LabContainer;
  state: () => Promise<string>;
  floor: TcpFloor;
  label: string;
  /** Segments a peer drops and counts itself (OVS on the trunk side). */
  peerDrops?: () => Promise<number>;
}

/** iperf3 (3 s) each way with nstat watching the receivers, and a file each way. */
function tcpSpecs(get: () => Ends): void {
  for (const towardKernel of [true, false]) {
    const what = towardKernel ? "vxswitch -> kernel vxlan" : "kernel vxlan -> vxswitch";
    it(`carries TCP ${what} above the floor, with no checksum errors at the receiver`, async () => {
      const { vxswitchSide, kernelSide, state, floor, label, peerDrops } = get();
      const receiver = towardKernel ? kernelSide : vxswitchSide;
      const watched = [receiver.ns, receiver.host.ns];
      const server = await startIperfServer(kernelSide.ns, kernelSide.address);
      try {
        const before = await Promise.all(watched.map(csumErrors));
        const dropsBefore = (await peerDrops?.()) ?? 0;
        const result = await iperfClient(vxswitchSide.ns, kernelSide.address, { seconds: 3, reverse: !towardKernel });
        const accountedLosses = ((await peerDrops?.()) ?? 0) - dropsBefore;
        const after = await Promise.all(watched.map(csumErrors));
        watched.forEach((ns, k) => expect(grown(before[k]!, after[k]!), `checksum error counters that grew in ${ns}`).toEqual({}));
        await expectHealthyTcp(result, { floor, what: `${label}: ${what}`, context: state, accountedLosses });
      } finally {
        await server.stop();
      }
    });
  }

  describe("a 16 MB file", () => {
    let file: RandomFile;
    beforeAll(() => {
      file = randomFile(FILE_BYTES);
    });
    for (const towardKernel of [true, false]) {
      it(`arrives ${towardKernel ? "at the kernel side from the vxswitch side" : "at the vxswitch side from the kernel side"} with the same sha256`, async () => {
        const { vxswitchSide, kernelSide, state } = get();
        const [from, to] = towardKernel ? [vxswitchSide, kernelSide] : [kernelSide, vxswitchSide];
        const got = await sendFile(from, to, file);
        const why = await because(got.sha256 !== file.sha256, state);
        expect(got.bytes, why).toBe(file.bytes);
        expect(got.sha256, why).toBe(file.sha256);
      });
    }
  });
}

describeLab("TCP between kernel vxlan and vxswitch, default offloads", () => {
  describe.each([4, 6] as const)("over an IPv%i underlay: vxswitch on h1, kernel vxlan on h2", (family) => {
    let lab: Lab;
    let vx: VxswitchProcess | undefined;
    const state = (): Promise<string> => switchState([{ name: "h1 vxswitch", vx }]);

    beforeAll(async () => {
      requireVxswitchBuilt();
      lab = await Lab.create({ hosts: 2, ipv6: family === 6, label: `tcp${family}` });
      await lab.checkUnderlay(family);
      const [h1, h2] = [lab.host(1), lab.host(2)];
      await addKernelVxlan(h2.ns, { vni: 42, local: lab.localOf(h2, family), remotes: lab.remotesOf(h2, family) });
      vx = await VxswitchProcess.start(h1.ns, { local: lab.localOf(h1, family), remotes: lab.remotesOf(h1, family), vni: 42, tap: "vxtap42", bridge: "br0" });
      await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2, timeout: 2 }), "warm-up ping", state);
    });

    afterAll(async () => {
      try {
        await vx?.stop();
      } finally {
        await lab?.destroy();
      }
    });

    tcpSpecs(() => ({ vxswitchSide: lab.container(1), kernelSide: lab.container(2), state, floor: FAST_PATH, label: `IPv${family} underlay` }));

    it("keeps running, and drops nothing", async () => {
      expect(vx?.running, vx?.transcript()).toBe(true);
      const stats = await vx!.stats();
      expect({ ...stats.egress.drops, ...stats.ingress.drops }, await vx!.statsText()).toEqual({});
    });
  });

  // h1: containers on VLAN 100 of an Open vSwitch bridge whose trunk port is vxswitch's trunk TAP
  // (VLAN 100 <-> VNI 1000); h2: kernel vxlan on VNI 1000. vxswitch runs without TAP offloads
  // here: OVS reads the TAP with AF_PACKET and cannot take GSO super-frames (as in trunk-vlans).
  describe("through a trunk segment: VLAN 100 on h1 (Open vSwitch + vxswitch trunk) <-> VNI 1000 on h2 (kernel vxlan)", () => {
    let lab: Lab;
    let ovs: OvsInstance | undefined;
    let vx: VxswitchProcess | undefined;
    let v100: LabContainer;
    let k1000: LabContainer;
    const state = async (): Promise<string> =>
      `${await switchState([{ name: "h1 vxswitch (trunk)", vx }])}\n--- h1 Open vSwitch\n${ovs === undefined ? "" : `${await ovs.appctl(["fdb/show", TRUNK_BRIDGE]).catch(String)}\n${ovs.logTail(10)}`}`;

    beforeAll(async () => {
      requireVxswitchBuilt();
      lab = await Lab.create({ hosts: 2, containers: false, label: "tcptrunk" });
      const [h1, h2] = [lab.host(1), lab.host(2)];
      v100 = await lab.addContainer(h1, { cidr: "10.42.0.1/24" });
      k1000 = await lab.addContainer(h2, { bridge: "br0", cidr: "10.42.0.2/24" });
      ovs = await OvsInstance.start(h1.ns);
      await ovs.addBridge(TRUNK_BRIDGE);
      await ovs.attachContainer(TRUNK_BRIDGE, v100, 100);
      vx = await VxswitchProcess.startWithConfig(h1.ns, {
        local: h1.underlayV4,
        offloads: false,
        peers: lab.remotesOf(h1),
        segments: [{ tap: "vxtrunk0", trunk: true, vlans: { "100": 1000 } }],
      });
      await ovs.vsctl(["add-port", TRUNK_BRIDGE, "vxtrunk0", "--", "set", "port", "vxtrunk0", "trunks=100"]);
      await addKernelVxlan(h2.ns, { vni: 1000, local: h2.underlayV4, remotes: lab.remotesOf(h2) });
      await expectNoLoss(await ping(v100.ns, k1000.address, { count: 2, timeout: 2 }), "warm-up ping", state);
    });

    afterAll(async () => {
      try {
        await vx?.stop();
        await ovs?.stop();
      } finally {
        await lab?.destroy();
      }
    });

    tcpSpecs(() => ({ vxswitchSide: v100, kernelSide: k1000, state, floor: OVS_PATH, label: "trunk VLAN 100 <-> VNI 1000", peerDrops: () => ovs!.packetSocketDrops() }));

    it("keeps running, and drops nothing", async () => {
      expect(vx?.running, vx?.transcript()).toBe(true);
      const stats = await vx!.stats();
      expect({ ...stats.egress.drops, ...stats.ingress.drops }, await vx!.statsText()).toEqual({});
    });
  });
});
