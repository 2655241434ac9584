// Scratch: vxswitch vs kernel vxlan TCP debugging (temporary).
import { Capture } from "../../src/lab/capture.js";
import { addKernelVxlan } from "../../src/lab/kernel-vxlan.js";
import { cleanupAll, nsExecResult } from "../../src/lab/netns.js";
import { Lab } from "../../src/lab/topology.js";
import { iperfClient, startIperfServer } from "../../src/lab/traffic.js";
import { VxswitchProcess } from "../../src/lab/vxswitch-process.js";

const io = (process.argv[2] ?? "batch") as "batch" | "dgram";
try {
  const lab = await Lab.create({ hosts: 2, label: "dbg", underlayTxOffload: process.argv[3] === "txon" });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  await addKernelVxlan(h2.ns, { vni: 42, local: h2.underlayV4, remotes: [h1.underlayV4] });
  const vx = await VxswitchProcess.start(h1.ns, { local: h1.underlayV4, remotes: [h2.underlayV4], vni: 42, tap: "vxtap42", bridge: "br0", io });
  const server = await startIperfServer(lab.container(2).ns, lab.container(2).address);
  const cap = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in" });
  const cap2 = await Capture.start({ ns: lab.container(1).ns, iface: "eth0", filter: "tcp" });
  const cap3 = await Capture.start({ ns: h1.ns, iface: "vxtap42", filter: "tcp" });
  const r = await iperfClient(lab.container(1).ns, lab.container(2).address, { seconds: 2 }).catch((e: unknown) => String(e).slice(0, 200));
  console.log(r);
  await cap.stop();
  await cap2.stop();
  await cap3.stop();
  console.log("tap:\n" + (await cap3.summary(undefined, 6)));
  console.log((await cap3.fields(["tcp.checksum", "tcp.checksum.status", "ip.checksum", "ip.len", "frame.len"], undefined, "a")).slice(0, 6));
  console.log((await nsExecResult(lab.container(1).ns, ["nstat", "-az", "TcpInCsumErrors", "IpInHdrErrors", "TcpExtTCPCsumErrors", "IpInDiscards", "TcpInErrs"])).stdout);
  console.log(await cap.summary(undefined, 20));
  console.log((await cap.fields(["ip.src", "tcp.checksum", "tcp.checksum.status", "udp.checksum"], "tcp", "a")).slice(0, 10));
  console.log("c1 eth0:\n" + (await cap2.summary(undefined, 10)));
  console.log(await vx.statsText());
  console.log(vx.transcript());
  console.log((await nsExecResult(lab.container(2).ns, ["nstat", "-az", "TcpInCsumErrors", "IpInHdrErrors", "TcpExtTCPCsumErrors"])).stdout);
  await server.stop();
  await vx.stop();
} finally {
  await cleanupAll();
}
