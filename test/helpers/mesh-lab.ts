// A lab with vxswitch on every host, made once before a file's tests and removed after them
// (also when making it fails halfway).
import { afterAll, beforeAll } from "vitest";
import { startVxswitchMesh, stopMesh, type MeshMember, type MeshOptions } from "../../lab/mesh.js";
import { Lab, type LabOptions } from "../../lab/topology.js";
import { requireVxswitchBuilt, switchState } from "./lab.js";

export interface MeshLab {
  /** The lab; made in beforeAll, so read it inside hooks and tests only. */
  readonly lab: Lab;
  /** One member per host, in host order; a test that restarts a switch puts the new one in its slot. */
  readonly mesh: MeshMember[];
  /** The member on host `index` (1-based). */
  member(index: number): MeshMember;
  /** Every switch's FDB and counters, for failure messages. */
  state(): Promise<string>;
}

export interface MeshLabOptions {
  lab: LabOptions;
  mesh?: MeshOptions;
  /** Runs once the switches are up, still inside beforeAll (e.g. a first ping that must pass). */
  ready?: (net: MeshLab) => Promise<void>;
}

/** Registers beforeAll/afterAll that build `options.lab`, check its underlay and start the mesh on it. */
export function meshLabForAll(options: MeshLabOptions): MeshLab {
  let lab: Lab | undefined;
  const mesh: MeshMember[] = [];
  const net: MeshLab = {
    get lab(): Lab {
      if (lab === undefined) throw new Error("the mesh lab is made in beforeAll: use it inside hooks and tests");
      return lab;
    },
    mesh,
    member(index: number): MeshMember {
      const found = mesh.find((m) => m.host.index === index);
      if (found === undefined) throw new Error(`no vxswitch on h${index}`);
      return found;
    },
    state: () => switchState(mesh.map((m) => ({ name: m.host.name, vx: m.vx }))),
  };

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create(options.lab);
    await lab.checkUnderlay();
    mesh.push(...(await startVxswitchMesh(lab, options.mesh)));
    await options.ready?.(net);
  });

  afterAll(async () => {
    try {
      await stopMesh(mesh);
    } finally {
      await lab?.destroy();
    }
  });

  return net;
}
