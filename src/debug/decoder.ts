// The decoding walk shared by every layer: the packet's bytes, the layers found so far, and how to report a problem.
import type { DropReasonName } from "../dataplane/stats.js";
import type { FieldValue, Layer, Problem } from "./packet.js";
import { VXLAN_PORT, VXLAN_PORT_LINUX_LEGACY } from "../wire/vxlan.js";

/** Tunnels in tunnels, tags on tags: a bound on nesting so crafted input cannot recurse without end. */
export const MAX_DEPTH = 8;

export interface DecodeOptions {
  /** UDP destination ports decoded as VXLAN (default 4789 and the old Linux 8472). */
  vxlanPorts: readonly number[];
}

export const DEFAULT_DECODE_OPTIONS: DecodeOptions = { vxlanPorts: [VXLAN_PORT, VXLAN_PORT_LINUX_LEGACY] };

export class Walk {
  readonly layers: Layer[] = [];
  readonly problems: Problem[] = [];
  depth = 0;

  constructor(
    readonly buf: Buffer,
    readonly options: DecodeOptions,
  ) {}

  layer(name: string, offset: number, summary: string, fields: Record<string, FieldValue>): Layer {
    const layer: Layer = { name, offset, summary, fields, problems: [] };
    this.layers.push(layer);
    return layer;
  }

  /** Records a problem on a layer (or on the packet when there is no layer to hang it on). */
  problem(layer: Layer | null, message: string, reason?: string, drop?: DropReasonName): void {
    const problem: Problem = { message };
    if (reason !== undefined) problem.reason = reason;
    if (drop !== undefined) problem.drop = drop;
    layer?.problems.push(problem);
    this.problems.push(problem);
  }
}

export const hex16 = (n: number): string => `0x${n.toString(16).padStart(4, "0")}`;
export const hex8 = (n: number): string => `0x${n.toString(16).padStart(2, "0")}`;

/** "the dataplane drops this (vxlanFlagI)": the counter a person will find in `vxswitch stats` and metrics. */
export function dropsIt(drop: DropReasonName): string {
  return `the dataplane drops this (${drop})`;
}

/** "N bytes captured" when a header does not fit. */
export function tooShort(what: string, have: number, need: number): string {
  return `${what}: ${have} byte${have === 1 ? "" : "s"} captured, the header needs ${need}`;
}
