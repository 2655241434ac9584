// A full unicast mesh of vxswitch processes: one per lab host, every other host a remote.
import type { Lab, LabHost } from "./topology.js";
import { VxswitchProcess, type IoMode, type StartOptions } from "./vxswitch-process.js";

export interface MeshOptions {
  vni?: number;
  /** Ethernet over GRE with this key instead of VXLAN (the VNI is then not passed). */
  greKey?: number;
  tap?: string;
  bridge?: string;
  io?: IoMode;
  family?: 4 | 6;
  port?: number;
  /** More `vxswitch up` flags for every member, e.g. ["--busy-poll", "20000"]. */
  extraArgs?: readonly string[];
  start?: StartOptions;
}

export interface MeshMember {
  host: LabHost;
  vx: VxswitchProcess;
}

/** Starts vxswitch on every host (VNI 42, vxtap42 on br0 by default); stops them all on failure. */
export async function startVxswitchMesh(lab: Lab, options: MeshOptions = {}): Promise<MeshMember[]> {
  const vni = options.vni ?? 42;
  const members: MeshMember[] = [];
  try {
    for (const host of lab.hosts) {
      const vx = await VxswitchProcess.start(
        host.ns,
        {
          local: lab.localOf(host, options.family ?? 4),
          remotes: lab.remotesOf(host, options.family ?? 4),
          ...(options.greKey === undefined ? { vni } : { encap: "gre" as const, key: options.greKey }),
          tap: options.tap ?? `vxtap${vni}`,
          bridge: options.bridge ?? "br0",
          io: options.io,
          port: options.port,
          extraArgs: options.extraArgs,
        },
        options.start,
      );
      members.push({ host, vx });
    }
  } catch (error) {
    await stopMesh(members);
    throw error;
  }
  return members;
}

/** SIGTERM to every member; resolves when all have exited. */
export async function stopMesh(members: readonly MeshMember[]): Promise<void> {
  await Promise.all(members.map((member) => member.vx.stop()));
}
