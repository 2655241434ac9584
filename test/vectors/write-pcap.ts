// Writes the wire test vectors to a pcap for tshark: npx vite-node test/vectors/write-pcap.ts [out.pcap]
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PcapWriter } from "../../src/wire/pcap.js";
import { buildVectors, VECTOR_EPOCH_US } from "./vectors.js";

const chunks: Buffer[] = [];
const writer = new PcapWriter({ write: (c: Buffer) => chunks.push(c) });
const frames = buildVectors();
frames.forEach((f, i) => writer.write(f, 0, f.length, VECTOR_EPOCH_US + i * 1000));
const out = process.argv[2] ?? fileURLToPath(new URL("./wire.pcap", import.meta.url));
writeFileSync(out, Buffer.concat(chunks));
frames.forEach((f, i) => console.log(`${i + 1} ${f.toString("hex")}`));
console.log(`wrote ${writer.packets} packets to ${out}`);
