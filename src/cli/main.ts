// The vxswitch command line: thin commander wiring over the library.
import { generateKey } from "../io/key-file.js";
import { isIP } from "node:net";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { runUp, type UpFlags } from "./up.js";
import { runQuery } from "./query.js";
import { runDown, runReload } from "./lifecycle.js";
import { runTop, type TopFlags } from "./top.js";
import { mergeKeywords } from "./keywords.js";
import type { OutputFlags } from "./output.js";
import { LOG_FORMATS, LOG_LEVELS } from "../log/logger.js";
import { runDecode, type DecodeFlags } from "./decode.js";
import { runCapture, type CaptureFlags } from "./capture.js";
import { runTrace, type TraceFlags } from "./trace.js";
import { UsageError } from "./usage-error.js";
import { DEFAULT_CONTROL_PATH } from "../control/control-server.js";
import { parseMac } from "../wire/mac.js";
import { VXLAN_PORT, VXLAN_PORT_LINUX_LEGACY } from "../wire/vxlan.js";
import { DEFAULT_GROUP_TTL, DEFAULT_MAX_LEARNED_PEERS, DEFAULT_ROTATE_SECONDS } from "../control/config.js";

/** Exit codes as iproute2 and most Unix tools use them. */
const EXIT_RUNTIME = 1;
const EXIT_USAGE = 2;

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    return n;
  };
}

function macAddress(value: string): string {
  try {
    parseMac(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a MAC address (six hex pairs, e.g. 52:54:00:12:34:56)`);
  }
  return value;
}

function ipAddress(value: string): string {
  if (isIP(value) === 0) throw new InvalidArgumentError(`"${value}" is not an IPv4 or IPv6 address`);
  return value;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n < 0.1 || n > 3600) throw new InvalidArgumentError("must be seconds between 0.1 and 3600");
  return n;
}

type QueryFlags = OutputFlags & { control: string; [arg: string]: unknown };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const program = new Command();
program
  .name("vxswitch")
  .description("Userspace VXLAN / Ethernet-over-GRE learning switch")
  .version("0.1.0")
  .option("-j, --json", "JSON output (as ip -j)")
  .option("-p, --pretty", "indented JSON (as ip -p)")
  .option("-s, --stats", "more statistics (as ip -s)");

program
  .command("up")
  .description("open TAPs and tunnel sockets and switch frames until SIGINT/SIGTERM")
  .option("-c, --config <file>", "YAML or JSON configuration file")
  .option("--local <addr>", "local underlay address (source of tunnel packets)")
  .option("--remote <addr>", "remote underlay address (repeat for a full mesh)", collect)
  .option("--vni <n>", "VXLAN network identifier", integer("--vni", 0, 0xffffff))
  .option("--key <n>", "GRE key (RFC 2890) identifying the segment", integer("--key", 0, 0xffffffff))
  .option("--tap <name>", "TAP device to create")
  .option("--bridge <name>", "bridge to attach the TAP to (created if missing)")
  .option("--address <cidr>", "address for the bridge (or the TAP without a bridge)")
  .option("--port <n>", `UDP port (${VXLAN_PORT}; ${VXLAN_PORT_LINUX_LEGACY} for old Linux peers)`, integer("--port", 1, 65535))
  .option("--trunk", "the TAP carries 802.1Q-tagged frames, one VLAN per segment (see --vlan)")
  .option("--vlan <vid:id>", "trunk: carry VLAN vid as VNI (GRE: key) id, e.g. 100:1000 (repeat; implies --trunk)", collect)
  .option("--group <addr>", "multicast group mode: flood to this group (e.g. 239.1.1.1) and learn peers from traffic")
  .option("--ttl <n>", `group mode: multicast TTL / hop limit (default ${DEFAULT_GROUP_TTL})`, integer("--ttl", 1, 255))
  .option("--dev <ifname>", "group mode: underlay interface to join on (default: the one holding --local)")
  .option("--max-learned-peers <n>", `group mode: most peers learned from traffic (default ${DEFAULT_MAX_LEARNED_PEERS})`, integer("--max-learned-peers", 1, 1_000_000))
  .option("--etcd <urls>", "membership through etcd (comma-separated client URLs): register this host, flood each VNI to the hosts that serve it")
  .option("--mtu <n>", "overlay MTU (default: underlay MTU minus encapsulation overhead)", integer("--mtu", 68, 65535))
  .option("--tap-mtu <n>", "TAP link MTU when larger than the overlay's (e.g. 1500: frames that do not fit get ICMP too-big answers)", integer("--tap-mtu", 68, 65535))
  .option("--mac <mac>", "TAP MAC address (default: stable, derived from /etc/machine-id, --local and the TAP name)")
  .addOption(new Option("--encap <type>", "encapsulation").choices(["vxlan", "gre"]))
  .option("--gre-csum", "GRE: send a checksum with every packet (received ones are always checked)")
  .option("--gre-seq", "GRE: send sequence numbers (one counter per segment)")
  .option("--key-file <file>", "encrypt every segment (AEAD) with keys derived from this pre-shared key file (mode 0600; make one with vxswitch genkey)")
  .option("--cipher <name>", "with --key-file: aes-256-gcm (default) or chacha20-poly1305; both ends alike")
  .option("--rotate-seconds <n>", `with --key-file: replace each key after this many seconds (default ${DEFAULT_ROTATE_SECONDS})`, integer("--rotate-seconds", 1, 86400))
  .addOption(new Option("--io <mode>", "tunnel I/O: native batched sockets or node:dgram").choices(["auto", "batch", "dgram"]))
  .option("--ageing <seconds>", "FDB ageing time (0 = never)", integer("--ageing", 0, 1_000_000))
  .option("--max-addresses <n>", "FDB size limit per segment", integer("--max-addresses", 1, 10_000_000))
  .option("--batch <n>", "frames per batch", integer("--batch", 1, 1024))
  .option("--busy-poll <usec>", "spin for this long after the last packet instead of sleeping (lower latency, costs a CPU while traffic flows; 0 = off)", integer("--busy-poll", 0, 1_000_000))
  .option("--no-offloads", "plain TAPs: no virtio-net header, checksum or TSO offload")
  .option("--control <path>", `control socket (default ${DEFAULT_CONTROL_PATH})`)
  .option("--metrics <addr:port>", "serve Prometheus metrics on http://ADDR:PORT/metrics (default: off)")
  .addOption(new Option("--log-level <level>", "least severe events logged (default info)").choices(LOG_LEVELS))
  .addOption(new Option("--log-format <format>", "one line per event: text or JSON (default text)").choices(LOG_FORMATS))
  .option("--dry-run", "print what would be created and exit")
  .action(async (flags: UpFlags) => runUp(flags));

const controlOption = (): Option => new Option("--control <path>", "control socket of the running vxswitch").default(DEFAULT_CONTROL_PATH);

/** -j / -p / -s on a command, as well as before it (`vxswitch -j fdb show`, like `ip -j`). */
function outputOptions(cmd: Command, withStats = false): Command {
  cmd.option("-j, --json", "JSON output").option("-p, --pretty", "indented JSON (implies -j)");
  if (withStats) cmd.option("-s, --stats", "more statistics");
  return cmd;
}

/** The command's own options merged with those given before it (vxswitch -j ...). */
function withGlobals<T>(cmd: Command): T {
  return cmd.optsWithGlobals<T & Record<string, unknown>>();
}

const vniValue = integer("vni", 0, 0xffffffff);
const devValue = (v: string): string => {
  if (!/^[^\s/:]{1,15}(\.\d{1,4})?$/.test(v)) throw new InvalidArgumentError(`"${v}" is not an interface name`);
  return v;
};

const fdb = program.command("fdb").description("the forwarding database (MAC table)");
outputOptions(fdb
  .command("show")
  .argument("[keywords...]", "dev TAP, vni N (iproute2 form)")
  .description("list entries, like `bridge fdb show [dev TAP] [vni N]`; -s adds seconds since last update")
  .option("--vni <n>", "only this segment", vniValue)
  .option("--dev <tap>", "only this TAP", devValue)
  .addOption(controlOption()), true)
  .action(async (words: string[], _o: unknown, cmd: Command) => {
    const o = mergeKeywords(words, { dev: devValue, vni: vniValue }, withGlobals<QueryFlags & { vni?: number; dev?: string }>(cmd), "vxswitch fdb show");
    await runQuery("fdb", o);
  });
fdb
  .command("add")
  .argument("<mac>", "MAC address", macAddress)
  .argument("[keywords...]", "dev TAP, dst ADDR, vni N (iproute2 form)")
  .description("add a static entry: MAC [dev TAP] [dst ADDR] [vni N] (or --dev/--dst/--vni); the segment is vni, or the one of dev; with dst the entry points at that remote (a dst that is not a peer is reached by unicast only), else at the TAP")
  .option("--vni <n>", "segment", vniValue)
  .option("--dst <addr>", "remote tunnel endpoint address", ipAddress)
  .option("--dev <tap>", "local TAP (names the segment when --vni is not given)", devValue)
  .addOption(controlOption())
  .action(async (mac: string, words: string[], _o: unknown, cmd: Command) => {
    const o = mergeKeywords(words, { dev: devValue, dst: ipAddress, vni: vniValue }, withGlobals<QueryFlags & { vni?: number; dst?: string; dev?: string }>(cmd), "vxswitch fdb add");
    if (o.vni === undefined && o.dev === undefined) throw new UsageError("give the segment: vni N (or dev TAP)", "vxswitch fdb add");
    if (o.dst === undefined && o.dev === undefined) throw new UsageError("give dst ADDR (a remote) or dev TAP (a local port)", "vxswitch fdb add");
    await runQuery("fdb-add", { ...o, mac });
  });
fdb
  .command("del")
  .argument("<mac>", "MAC address", macAddress)
  .argument("[keywords...]", "dev TAP, vni N (iproute2 form)")
  .description("delete an entry: MAC vni N (or dev TAP)")
  .option("--vni <n>", "segment", vniValue)
  .option("--dev <tap>", "the segment's TAP (instead of --vni)", devValue)
  .addOption(controlOption())
  .action(async (mac: string, words: string[], _o: unknown, cmd: Command) => {
    const o = mergeKeywords(words, { dev: devValue, vni: vniValue }, withGlobals<QueryFlags & { vni?: number; dev?: string }>(cmd), "vxswitch fdb del");
    if (o.vni === undefined && o.dev === undefined) throw new UsageError("give the segment: vni N (or dev TAP)", "vxswitch fdb del");
    await runQuery("fdb-del", { ...o, mac });
  });
fdb
  .command("flush")
  .description("remove learned entries")
  .addOption(controlOption())
  .action(async (o: { control: string }) => runQuery("fdb-flush", o));

const peers = program.command("peers").description("remote tunnel endpoints: show (default), add, del");
outputOptions(peers
  .command("show", { isDefault: true })
  .description("remote tunnel endpoints and their counters")
  .addOption(controlOption()))
  .action(async (_o: unknown, cmd: Command) => runQuery("peers", withGlobals<QueryFlags>(cmd)));
for (const [verb, what] of [["add", "add a flood peer to every segment, or to segment N only"], ["del", "remove a peer (with its FDB entries), or take it out of segment N only"]] as const) {
  peers
    .command(verb)
    .argument("<addr>", "peer underlay address", ipAddress)
    .argument("[keywords...]", "vni N (iproute2 form)")
    .description(`${what}, on the running switch`)
    .option("--vni <n>", "only this segment", vniValue)
    .addOption(controlOption())
    .action(async (address: string, words: string[], _o: unknown, cmd: Command) => {
      const o = mergeKeywords(words, { vni: vniValue }, withGlobals<QueryFlags & { vni?: number }>(cmd), `vxswitch peers ${verb}`);
      await runQuery(`peers-${verb}`, { ...o, address });
    });
}

for (const [name, description] of [
  ["status", "encapsulation, I/O mode, offloads, segments, peers"],
  ["stats", "dataplane counters and drop reasons"],
] as const) {
  outputOptions(program
    .command(name)
    .description(description)
    .addOption(controlOption()))
    .action(async (_o: unknown, cmd: Command) => runQuery(name, withGlobals<QueryFlags>(cmd)));
}

program
  .command("reload")
  .description("re-read the config file of `up -c FILE` and apply the difference (peers, static FDB entries, ageing); same as SIGHUP")
  .addOption(controlOption())
  .action(async (o: { control: string }) => runReload(o.control));

program
  .command("down")
  .description("stop the running switch (its TAPs and the bridges it made go with it)")
  .addOption(controlOption())
  .action(async (o: { control: string }) => runDown(o.control));

program
  .command("top")
  .description("live view: rates per direction and peer, drops by reason, FDB size, batch fill (q or Ctrl-C quits)")
  .option("-d, --delay <seconds>", "refresh interval", seconds)
  .option("-n, --iterations <n>", "stop after this many refreshes", integer("-n", 1, 1_000_000))
  .option("--once", "print one snapshot (rates over one interval) and exit")
  .addOption(controlOption())
  .action(async (o: TopFlags) => runTop(o));

program
  .command("decode <input...>")
  .description("decode packets: hex bytes, a .pcap/.pcapng file, or - for either on stdin (outer IP/UDP/VXLAN or GRE, inner Ethernet/802.1Q/ARP/IP/TCP/UDP/ICMP)")
  .option("--json", "machine-readable output")
  .addOption(new Option("--link <start>", "where packets start (default: the capture's link type; hex: guessed, Ethernet then IP)").choices(["auto", "eth", "ip", "vxlan", "gre"]))
  .option("--vxlan-port <n>", "also decode this UDP port as VXLAN (repeat)", (v: string, prev: number[] = []) => [...prev, integer("--vxlan-port", 1, 65535)(v)])
  .action(async (inputs: string[], o: DecodeFlags) => runDecode(inputs, o));
program
  .command("genkey")
  .description("print a new pre-shared key for --key-file / encryption.keyFile (32 random bytes, base64): vxswitch genkey > key; chmod 600 key")
  .action(() => {
    process.stdout.write(`${generateKey()}\n`);
  });
program
  .command("capture")
  .description("capture frames the running switch handles into a pcap (inner Ethernet frames, or --outer tunnel packets); -w - | tshark -r - works")
  .option("--vni <n>", "only this segment (VNI or GRE key)", integer("--vni", 0, 0xffffffff))
  .option("--peer <addr>", "only frames to or from this peer", ipAddress)
  .option("--mac <mac>", "only frames with this source or destination MAC", macAddress)
  .option("--inner", "inner Ethernet frames (the default)")
  .option("--outer", "outer packets with their IP/UDP/VXLAN or IP/GRE headers (raw IP pcap)")
  .option("-c, --count <n>", "stop after this many frames", integer("--count", 1, 1_000_000_000))
  .option("--duration <s>", "stop after this many seconds", seconds)
  .option("-w, --write <file>", "pcap file to write, - for stdout")
  .addOption(controlOption())
  .action(async (o: CaptureFlags) => runCapture(o));

program
  .command("trace")
  .description("live: one line per frame and the switch's decision (or drop reason); --packet: what the switch would do with a frame, and why")
  .option("--vni <n>", "only this segment (VNI or GRE key); with --packet-hex: the frame's segment", integer("--vni", 0, 0xffffffff))
  .option("--peer <addr>", "only frames from this peer", ipAddress)
  .option("--mac <mac>", "only frames with this source or destination MAC", macAddress)
  .option("-c, --count <n>", "stop after this many lines", integer("--count", 1, 1_000_000_000))
  .option("--duration <s>", "stop after this many seconds", seconds)
  .option("--packet <spec>", "explain a hypothetical frame: 'vni 42 src MAC dst MAC [from PEER|from tap [NAME]]' (nothing is sent or learned)")
  .option("--packet-hex <hex>", "explain this Ethernet frame (hex); --vni / --packet 'vni N from ...' give where it arrives")
  .option("--json", "machine-readable output")
  .addOption(controlOption())
  .action(async (o: TraceFlags) => runTrace(o));

/** "vxswitch fdb add" for a subcommand: where `--help` explains it. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Every command: errors on one line with a pointer to its --help (no help dump), thrown, not exited. */
function oneLineErrors(cmd: Command): void {
  cmd.exitOverride().configureOutput({
    outputError: (text, write) => write(`vxswitch: ${text.trim().replace(/\s*\n\s*/g, " ")} (see ${commandPath(cmd)} --help)\n`),
  });
  for (const sub of cmd.commands) oneLineErrors(sub);
}
oneLineErrors(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // Help and version exit 0 and already printed; everything else is a usage error, printed above.
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError) {
    process.stderr.write(`vxswitch: error: ${message} (see ${err.help} --help)\n`);
    process.exit(EXIT_USAGE);
  }
  process.stderr.write(`vxswitch: error: ${message}\n`);
  process.exit(EXIT_RUNTIME);
});
