// `npm run bench:micro`: every tinybench micro-benchmark in turn (FDB, forwarder, VXLAN encap/decap,
// native TSO split / GRO coalesce, sealing / opening) and a record of them in bench/out/micro-<date>.json.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { join, relative } from "node:path";
import { repoRoot } from "../lab/vxswitch-process.js";
import { run as runEncap } from "./micro-encap.js";
import { run as runFdb, printResults, type MicroResult } from "./micro-fdb.js";
import { run as runForwarder } from "./micro-forwarder.js";
import { run as runTso } from "./micro-tso.js";
import { run as runCrypto } from "./micro-crypto.js";
import { runMain } from "../lab/run-main.js";

const FDB_TARGET_TASK = "lookup hit, random, 1M entries";
const FDB_TARGET_NS = 100;

interface Suite {
  name: string;
  title: string;
  run: () => Promise<MicroResult[]>;
}

async function main(): Promise<void> {
  const suites: Suite[] = [
    { name: "fdb", title: "FDB micro-benchmark", run: runFdb },
    { name: "forwarder", title: "Forwarder micro-benchmark (64-frame batches)", run: runForwarder },
    { name: "encap", title: "VXLAN encap/decap micro-benchmark", run: runEncap },
    { name: "tso", title: "Native TSO split / GRO coalesce micro-benchmark", run: runTso },
    { name: "crypto", title: "Sealing / opening micro-benchmark (CPU s/GB of inner bytes in brackets)", run: runCrypto },
  ];

  const started = new Date();
  const results: Record<string, MicroResult[]> = {};
  for (const suite of suites) {
    results[suite.name] = await suite.run();
    printResults(suite.title, results[suite.name]!);
  }

  const fdb = results.fdb?.find((r) => r.task === FDB_TARGET_TASK);
  if (fdb !== undefined) {
    const met = fdb.nsPerOp <= FDB_TARGET_NS;
    console.log(`\ntarget: FDB lookup <= ${FDB_TARGET_NS} ns at 1M entries: ${fdb.nsPerOp.toFixed(1)} ns ("${FDB_TARGET_TASK}"): ${met ? "met" : "NOT met"}`);
    const others = (results.fdb ?? []).filter((r) => r !== fdb && /^lookup .*1M entries$/.test(r.task));
    console.log(`        other lookups at 1M entries: ${others.map((r) => `${r.nsPerOp.toFixed(1)} ns (${r.task})`).join(", ")}`);
  }

  const root = repoRoot();
  const outDir = join(root, "bench", "out");
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `micro-${started.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-")}.json`);
  const cpuModel = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown CPU";
  const record = { date: started.toISOString(), node: process.version, kernel: release(), cpuModel, suites: results };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`wrote ${relative(root, file)}`);
}

runMain("micro-benchmarks", main);
