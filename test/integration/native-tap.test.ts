// TAP devices and link ioctls through the native addon, inside throwaway network namespaces.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent, describeNetns, ip, NetnsSet } from "../helpers/native-netns.js";

interface CaughtError {
  message: string;
  code: string;
  syscall?: string;
}

interface IpLink {
  ifname: string;
  ifindex: number;
  mtu: number;
  master?: string;
  address: string;
  flags: string[];
}

describeNetns("native TAP and link operations", () => {
  const namespaces = new NetnsSet("nt");
  let ns = "";

  beforeAll(async () => {
    ns = await namespaces.add();
  });

  afterAll(async () => {
    await namespaces.cleanup();
  });

  it("opens a TAP, sets MTU, MAC, up, addresses and attaches it to a bridge, as ip link sees it", async () => {
    const agent = Agent.spawn(ns, "tap-basics", { tap: "vxst0", bridge: "vxsbr0" });
    const ready = await agent.next("ready");
    const links = JSON.parse(await ip("-n", ns, "-j", "link", "show", "vxst0")) as IpLink[];
    const addrs = JSON.parse(await ip("-n", ns, "-j", "addr", "show", "dev", "vxst0")) as
      { addr_info: { family: string; local: string; prefixlen: number }[] }[];
    agent.send("done");
    const done = await agent.next("done");
    expect(await agent.exited()).toBe(0);

    expect(links).toHaveLength(1);
    const link = links[0];
    expect(ready.name).toBe("vxst0");
    expect(ready.ifindex).toBe(link.ifindex);
    expect(ready.linkIndex).toBe(link.ifindex);
    expect(ready.mac).toBe("02:00:5e:10:00:01");
    expect(link.address).toBe("02:00:5e:10:00:01");
    expect(ready.mtu).toBe(1400);
    expect(link.mtu).toBe(1400);
    expect(link.master).toBe("vxsbr0");
    expect(link.flags).toContain("UP");
    const local = addrs[0].addr_info.map((a) => `${a.local}/${a.prefixlen}`);
    expect(local).toContain("10.9.0.1/24");
    expect(local).toContain("fd00:9::1/64");

    const tapGone = done.tapGone as CaughtError;
    expect(tapGone.code, "closing the fd removes the TAP").toBe("ENODEV");
    expect((done.bridgeGone as CaughtError).code).toBe("ENODEV");
    expect(await ip("-n", ns, "-br", "link")).not.toMatch(/vxst0|vxsbr0/);
  });

  it("says what is wrong in link errors: missing bridge, not a bridge, name taken, bad MTU", async () => {
    const agent = Agent.spawn(ns, "tap-basics", { tap: "vxst0", bridge: "vxsbr0" });
    const ready = await agent.next("ready");
    agent.send("done");
    await agent.next("done");
    expect(await agent.exited()).toBe(0);
    const errors = ready.errors as Record<string, CaughtError | null>;

    expect(errors.missingBridge).toEqual({
      message: 'cannot attach "vxst0" to bridge "vxsnobr0": ENODEV — bridge "vxsnobr0" does not exist',
      code: "ENODEV",
      syscall: "ioctl(SIOCBRADDIF)",
    });
    expect(errors.notABridge?.message).toBe('cannot attach "vxst0" to bridge "lo": EOPNOTSUPP — "lo" is not a bridge');
    expect(errors.missingLink?.message).toBe(
      'cannot get the index of link "vxsnolink0": ENODEV — link "vxsnolink0" does not exist in this network namespace',
    );
    expect(errors.bridgeExists?.code).toBe("EEXIST");
    expect(errors.bridgeExists?.message).toContain("an interface of that name already exists");
    expect(errors.tapOverBridge?.code).toBe("EINVAL");
    expect(errors.tapOverBridge?.message).toMatch(/^cannot open TAP "vxsbr0": EINVAL — an interface of that name exists/);
    expect(errors.badMtu?.code).toBe("EINVAL");
    expect(errors.badMtu?.message).toContain("MTU 1000000 is outside the range");
    expect(errors.attachTwice, "attaching to the bridge it is already in is a no-op").toBeNull();
  });

  it("accepts TUNSETOFFLOAD / TUNSETVNETHDRSZ on a vnet-header TAP and explains refusals", async () => {
    const agent = Agent.spawn(ns, "tap-offload", { tap: "vxst3" });
    const result = await agent.next("result");
    expect(await agent.exited()).toBe(0);
    expect(result.offload).toBeNull();
    expect(result.vnetHdrSize).toBeNull();
    expect((result.badVnetHdrSize as CaughtError).message).toContain("at least 10");
    expect((result.badOffload as CaughtError).code).toBe("EINVAL");
  });

  for (const vnetHdr of [false, true]) {
    it(`reads the kernel's ARP request and writes a reply the kernel learns from${vnetHdr ? " (IFF_VNET_HDR)" : ""}`, async () => {
      const peerMac = "02:00:00:00:07:02";
      const agent = Agent.spawn(ns, "tap-arp", { tap: "vxst1", local: "10.7.0.1", peer: "10.7.0.2", peerMac, vnetHdr });
      const result = await agent.next("result");
      expect(await agent.exited(), "the child exits on its own once the poll is stopped").toBe(0);

      expect(result.arpRequest).toMatchObject({ sender: "10.7.0.1", target: "10.7.0.2" });
      if (vnetHdr) {
        expect((result.arpRequest as { vnetHeader: number[] }).vnetHeader).toEqual(new Array(10).fill(0));
      }
      expect(result.written, "the runt is refused, the reply written").toBe(1);
      expect(result.writeErrors).toBe(1);
      expect(result.lastError).toBe("EINVAL (write)");
      expect(result.neighbour).toMatchObject({ dst: "10.7.0.2", lladdr: peerMac });
      expect(result.echoRequestToPeerMac, "ping then sends its echo requests to the learned MAC").toBe(true);
      expect(result.wakeups as number).toBeGreaterThan(0);
      expect(result.framesRead as number).toBeGreaterThanOrEqual(2);
    });
  }

  it("tells an unprivileged caller to run as root or grant the capability", async () => {
    const agent = Agent.spawn(ns, "unprivileged", {}, [
      "setpriv", "--bounding-set", "-net_admin,-net_raw", "--inh-caps", "-net_admin,-net_raw",
    ]);
    const result = await agent.next("result");
    expect(await agent.exited()).toBe(0);
    expect(result.tapOpen).toEqual({
      message: 'cannot open TAP "vxsperm0": EPERM — run as root or grant CAP_NET_ADMIN',
      code: "EPERM",
      syscall: "ioctl(TUNSETIFF)",
    });
    expect((result.bridgeAdd as CaughtError).message).toBe(
      'cannot create bridge "vxspermbr0": EPERM — run as root or grant CAP_NET_ADMIN',
    );
    expect((result.greOpen as CaughtError).message).toBe(
      "cannot open a raw GRE socket on 0.0.0.0: EPERM — run as root or grant CAP_NET_RAW",
    );
  });

  it("tells the user to load the tun module when /dev/net/tun is missing", async () => {
    // tmpfs over /dev/net inside the mount namespace `ip netns exec` makes for this child only.
    const agent = Agent.spawn(ns, "tun-missing", {}, ["sh", "-c", 'mount -t tmpfs tmpfs /dev/net && exec "$@"', "sh"]);
    const result = await agent.next("result");
    expect(await agent.exited()).toBe(0);
    expect(result.tapOpen).toEqual({
      message: 'cannot open TAP "vxsnotun0": ENOENT — /dev/net/tun is missing: load the tun module (modprobe tun)',
      code: "ENOENT",
      syscall: "open",
    });
  });
});
