// Child process for the cleanup tests: builds a small lab, starts a process in it, prints what it
// made as one JSON line, then waits to be interrupted or to crash (argv[2] = "throw").
import { spawnIn } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";

const lab = await Lab.create({ hosts: 2, label: "child" });
const sleeper = spawnIn(lab.host(1).ns, ["sleep", "120"]);
process.stdout.write(`${JSON.stringify({ namespaces: lab.allNamespaces(), sleeperPid: sleeper.pid })}\n`);
if (process.argv.includes("throw")) {
  setTimeout(() => {
    throw new Error("lab child: deliberate uncaught exception");
  }, 200);
}
setInterval(() => undefined, 1000);
