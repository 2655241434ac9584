// What the cost systems attach to a running vxswitch, each a process in the host's namespace: an
// idle control client, a capture into /dev/null, a Prometheus scraper. Each resolves once attached.
import { spawnIn, type NsProcess } from "../lab/netns.js";
import { vxswitchArgv } from "../lab/vxswitch-process.js";

/** Where the metrics system serves inside each host's namespace (its own loopback). */
export const METRICS_ADDRESS = "127.0.0.1:9464";

export type Listener = (ns: string, control: string) => Promise<NsProcess>;

/**
 * Holds a control-socket connection open and sends nothing. The server closes a silent client
 * after its idle timeout (30 s); the client then reconnects at once, so one is connected all along.
 */
const IDLE_CLIENT = `
const net = require("node:net");
let first = true;
const connect = () => {
  const c = net.connect(process.argv[1]);
  c.on("connect", () => { if (first) console.log("connected"); first = false; });
  c.on("data", () => {});
  c.on("error", (e) => { console.error(e.message); setTimeout(connect, 100); });
  c.on("close", (hadError) => { if (!hadError) connect(); });
};
connect();
`;

/** GETs /metrics once a second, as a Prometheus server would (more often than its usual 15 s). */
const SCRAPER = `
const url = "http://" + process.argv[1] + "/metrics";
let first = true;
const scrape = async () => {
  try {
    const res = await fetch(url);
    const text = await res.text();
    if (first && res.ok) console.log("scraped " + text.length + " bytes");
    first = false;
  } catch (e) {
    console.error(String(e));
  }
};
scrape();
setInterval(scrape, 1000);
`;

async function started(proc: NsProcess, pattern: RegExp): Promise<NsProcess> {
  try {
    await proc.waitFor(pattern, { timeoutMs: 10_000 });
  } catch (error) {
    await proc.stop("SIGKILL");
    throw error;
  }
  return proc;
}

export const idleClient: Listener = (ns, control) => started(spawnIn(ns, [process.execPath, "-e", IDLE_CLIENT, control]), /^connected$/m);

/** `vxswitch capture --inner -w /dev/null`: every frame copied to a writer that keeps nothing. */
export const captureToNull: Listener = (ns, control) =>
  started(spawnIn(ns, vxswitchArgv(["capture", "--inner", "-w", "/dev/null", "--control", control])), /capturing/);

export const metricsScraper: Listener = (ns) => started(spawnIn(ns, [process.execPath, "-e", SCRAPER, METRICS_ADDRESS]), /^scraped \d+ bytes$/m);
