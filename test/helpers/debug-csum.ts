// Scratch: where do inner TCP checksums get completed on a kernel vxlan host? (temporary)
import { Capture } from "../../src/lab/capture.js";
import { addKernelVxlan } from "../../src/lab/kernel-vxlan.js";
import { cleanupAll, nsExec, nsExecResult, sleep, spawnIn } from "../../src/lab/netns.js";
import { Lab } from "../../src/lab/topology.js";

try {
  const lab = await Lab.create({ hosts: 2, label: "cs" });
  for (const host of lab.hosts) await addKernelVxlan(host.ns, { vni: 42, local: host.underlayV4, remotes: lab.remotesOf(host) });
  const h2 = lab.host(2);
  for (const arg of process.argv.slice(2)) {
    const [where, feature] = arg.split(":");
    const ns = where === "c2" ? lab.container(2).ns : h2.ns;
    const dev = where === "c2" ? "eth0" : where === "vx" ? "vxlan42" : where === "br" ? "br0" : "u0";
    console.log(arg, (await nsExecResult(ns, ["ethtool", "-K", dev, feature ?? "tx", "off"])).stderr);
  }
  console.log((await nsExec(h2.ns, ["ethtool", "-k", "u0"])).split("\n").filter((l) => /checksum|segmentation/.test(l)).join("\n"));
  const cap = await Capture.start({ ns: lab.switchNs, filter: "udp port 4789", direction: "in" });
  const srv = spawnIn(lab.container(2).ns, ["iperf3", "-s", "-1"]);
  await sleep(500);
  await nsExecResult(lab.container(1).ns, ["bash", "-c", "echo hi > /dev/tcp/10.42.0.2/5201"], { timeoutMs: 3000 });
  await srv.stop();
  await nsExecResult(lab.container(2).ns, ["bash", "-c", "echo hi > /dev/tcp/10.42.0.1/22"], { timeoutMs: 3000 });
  await cap.stop();
  console.log(await cap.fields(["ip.src", "tcp.flags.str", "tcp.checksum.status"], "tcp", "a"));
} finally {
  await cleanupAll();
}
