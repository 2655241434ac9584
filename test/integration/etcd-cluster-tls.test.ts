// Membership over a three-member etcd cluster with TLS client certificates (a throwaway CA made
// with openssl): losing one member interrupts nothing; a client certificate from another CA is refused.
import { afterAll, beforeAll, expect, it } from "vitest";
import { controlRequest } from "../../src/control/control-client.js";
import { EtcdCluster, makeEtcdCertificates, type EtcdTlsFiles } from "../../lab/etcd.js";
import { sleep } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess, type VxswitchConfig } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt } from "../helpers/lab.js";

cleanUpLabsAfterAll();

const MEMBERS = ["198.18.0.250", "198.18.0.251", "198.18.0.252"];
const H = ["198.18.0.1", "198.18.0.2", "198.18.0.3"];

interface Status { membership: { state: string; reason?: string; hosts: number; floodPeers: Record<string, string[]> } }

describeLab("membership over a three-member etcd cluster with TLS client certificates", () => {
  let lab: Lab;
  let etcd: EtcdCluster;
  let tls: EtcdTlsFiles;
  const vx: VxswitchProcess[] = [];

  const configOf = (i: number, cert: string, key: string): VxswitchConfig => ({
    local: H[i]!,
    peers: [],
    segments: [{ vni: 42, tap: "vx42", bridge: "br0" }],
    membership: { etcd: { endpoints: etcd.endpoints, leaseSeconds: 5, tls: { ca: tls.ca, cert, key } } },
  });
  const status = async (v: VxswitchProcess): Promise<Status> => (await controlRequest(v.control, { cmd: "status" })) as Status;

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 3, label: "etcdtls" });
    tls = await makeEtcdCertificates(MEMBERS);
    etcd = await EtcdCluster.start({ ns: lab.switchNs, addresses: MEMBERS, tls });
    await lab.checkUnderlay();
    for (const i of [0, 1]) vx.push(await VxswitchProcess.startWithConfig(lab.host(i + 1).ns, configOf(i, tls.clientCert, tls.clientKey)));
  }, 90_000);

  afterAll(async () => {
    for (const v of vx) await v.stop().catch(() => undefined);
    await etcd?.destroy();
    await lab?.destroy();
  });

  it("two hosts with client certificates find each other over https", async () => {
    for (const [v, other] of [[vx[0]!, H[1]], [vx[1]!, H[0]]] as const) {
      const s = await status(v);
      expect(s.membership).toMatchObject({ state: "connected", hosts: 2, floodPeers: { "42": [other] } });
    }
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2 }), "c1 -> c2");
  }, 20_000);

  it("losing one of three members interrupts nothing", async () => {
    const pinging = ping(lab.container(1).ns, lab.container(2).address, { count: 40, interval: 0.2 });
    await sleep(1000);
    await etcd.stopMember(0, true);
    await sleep(6000);
    await expectNoLoss(await pinging, "c1 -> c2 while a member is down");
    for (const v of vx) expect((await status(v)).membership.floodPeers).toEqual({ "42": [v === vx[0] ? H[1] : H[0]] });
    await etcd.startMember(0);
  }, 40_000);

  it("a switch whose client certificate another CA signed is refused by etcd and says why", async () => {
    const stranger = await VxswitchProcess.startWithConfig(lab.host(3).ns, configOf(2, tls.strangerCert, tls.strangerKey), { readyTimeoutMs: 20_000 });
    vx.push(stranger);
    const s = await status(stranger);
    expect(s.membership.state).not.toBe("connected");
    expect(s.membership.hosts).toBe(0);
    expect(s.membership.reason ?? "", "why etcd is unreachable").not.toBe("");
    const known = (await status(vx[0]!)).membership.floodPeers["42"];
    expect(known, "the refused host never became a peer").toEqual([H[1]]);
  }, 40_000);
});
