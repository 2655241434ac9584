// `vxswitch decode` as text: one block per packet, one line per layer, problems under the layer they concern.
import type { DecodedPacket, Problem } from "./packet.js";

const NAME_WIDTH = 7;

function problemLine(p: Problem): string {
  return `    ! ${p.message}`;
}

export function formatPacket(packet: DecodedPacket): string {
  const cut = packet.originalLength > packet.capturedLength ? ` (of ${packet.originalLength})` : "";
  const time = packet.time !== undefined ? `  ${new Date(packet.time * 1000).toISOString()}` : "";
  const lines = [`#${packet.number}  ${packet.capturedLength} bytes${cut}  from ${packet.start}${time}`];
  const shown = new Set<Problem>();
  for (const layer of packet.layers) {
    lines.push(`  ${layer.name.padEnd(NAME_WIDTH)} ${layer.summary}`);
    for (const p of layer.problems) {
      lines.push(problemLine(p));
      shown.add(p);
    }
  }
  // Problems with no layer of their own (a header too short to show) come last: decoding stopped there.
  for (const p of packet.problems) if (!shown.has(p)) lines.push(problemLine(p));
  return lines.join("\n");
}

export function formatPackets(packets: readonly DecodedPacket[]): string {
  return packets.map(formatPacket).join("\n\n");
}
