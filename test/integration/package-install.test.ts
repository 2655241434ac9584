// The package as a user gets it: `npm pack` from a clean copy of this checkout ships the switch
// only (no lab, tests or bench), and the tarball installed into a temporary prefix builds its
// addon without any devDependency, runs `vxswitch` (help; up, status and down inside a lab
// namespace) and imports as a library.
import { execFile } from "node:child_process";
import { cpSync, existsSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ipIn, labTempDir, nsExec, nsExecResult, spawnIn, type NsProcess } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { repoRoot, upArgs } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab } from "../helpers/lab.js";

cleanUpLabsAfterAll();

const NPM_TIMEOUT_MS = 5 * 60_000;

/** Installed scripts start with `#!/usr/bin/env node`: this Node first on PATH, also inside a netns. */
const PATH_ENV = { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}` };

/**
 * The environment for a nested npm: without the outer `npm test`'s lifecycle and prefix variables,
 * which would otherwise point the inner npm at this checkout.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...PATH_ENV };
  for (const key of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|command$|config_(local_|global_)?prefix$)/i.test(key) || key === "INIT_CWD") delete env[key];
  }
  return env;
}

/** Runs a command to completion; rejects with its output unless it exits 0. */
function exec(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = npmEnv()): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, timeout: NPM_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`\`${file} ${args.join(" ")}\` in ${cwd} failed: ${error.message}\n${stdout}\n${stderr}`));
    });
  });
}

/** The checkout as a fresh clone would have it: no node_modules install of its own, no dist/, no build/. */
function cleanCopy(root: string, to: string): void {
  const skipped = new Set(["node_modules", "dist", "build", ".git", "bench/out"]);
  cpSync(root, to, { recursive: true, filter: (src) => !skipped.has(relative(root, src)) });
  // typescript and node-gyp for prepack come from this checkout's devDependencies.
  symlinkSync(join(root, "node_modules"), join(to, "node_modules"));
}

describeLab("the packed tarball, installed into a temporary prefix", () => {
  let work = "";
  let files: string[] = [];
  let prefix = "";
  let pkgDir = "";
  let vxswitch = "";
  let lab: Lab | undefined;
  let proc: NsProcess | undefined;

  beforeAll(async () => {
    const root = repoRoot();
    work = labTempDir();
    const checkout = join(work, "checkout");
    cleanCopy(root, checkout);
    const t0 = Date.now();
    await exec("npm", ["pack", "--pack-destination", work, "--no-fund"], checkout);
    const made = readdirSync(work).filter((f) => f.endsWith(".tgz"));
    expect(made, "npm pack should make one tarball").toHaveLength(1);
    const tarball = join(work, made[0]!);
    files = (await exec("tar", ["-tzf", tarball], work)).split("\n").filter((f) => f !== "").map((f) => f.replace(/^package\//, ""));
    const t1 = Date.now();
    prefix = join(work, "prefix");
    // --allow-scripts: npm 11 warns about (and a later npm blocks) unreviewed install scripts; ours builds the addon.
    await exec("npm", ["install", "--global", "--prefix", prefix, "--allow-scripts", tarball, "--no-audit", "--no-fund", "--prefer-offline", tarball], work);
    const t2 = Date.now();
    console.log(`package-install: npm pack ${((t1 - t0) / 1000).toFixed(1)} s, npm install -g ${((t2 - t1) / 1000).toFixed(1)} s, ${files.length} files`);
    pkgDir = join(prefix, "lib", "node_modules", "vxswitch");
    vxswitch = join(prefix, "bin", "vxswitch");
  }, 2 * NPM_TIMEOUT_MS);

  afterAll(async () => {
    if (proc?.running === true) await proc.stop("SIGKILL");
    await lab?.destroy();
  });

  it("ships the compiled switch, its declarations, the addon sources and the docs", () => {
    for (const file of ["dist/src/cli/main.js", "dist/src/index.js", "dist/src/index.d.ts", "bin/vxswitch.js", "binding.gyp",
                        "native/addon.c", "native/addon.h", "README.md", "docs/INTERNALS.md", "contrib/vxswitch.service", "package.json"]) {
      expect(files, file).toContain(file);
    }
  });

  it("ships no lab, tests, bench, fuzzers, CI scripts, TypeScript sources or source maps", () => {
    const unwanted = files.filter((f) =>
      /^(lab|test|bench|src|scripts|\.ci|native\/fuzz)\//.test(f) || /\.map$/.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) || /^tsconfig/.test(f));
    expect(unwanted).toEqual([]);
  });

  it("builds the addon at install time and runs `vxswitch --help`", async () => {
    expect(existsSync(join(pkgDir, "build", "Release", "vxswitch_native.node")), "addon not built by the install script").toBe(true);
    const help = await exec(vxswitch, ["--help"], work, { ...process.env, ...PATH_ENV });
    expect(help).toMatch(/^Usage: vxswitch/m);
    expect(help).toMatch(/^\s+up \[options\]/m);
  });

  it("imports as a library by its name, exporting what src/index.ts exports and nothing by deep path", async () => {
    // A script next to the prefix's node_modules resolves `vxswitch` there, as a user's project would.
    const script = join(prefix, "lib", "check-library.mjs");
    writeFileSync(script, [
      'import * as lib from "vxswitch";',
      'import pkg from "vxswitch/package.json" with { type: "json" };',
      "let deep = \"resolved\";",
      'try { import.meta.resolve("vxswitch/dist/src/index.js"); } catch (error) { deep = error.code; }',
      "const names = Object.keys(lib).filter((k) => lib[k] !== undefined).sort();",
      'console.log(JSON.stringify({ names, version: pkg.version, entry: import.meta.resolve("vxswitch"), deep }));',
    ].join("\n"));
    const out = JSON.parse(await exec(process.execPath, [script], work)) as { names: string[]; version: string; entry: string; deep: string };
    const expected = Object.keys(await import("../../src/index.js")).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(out.names).toEqual(expected);
    expect(out.entry).toBe(`file://${join(pkgDir, "dist", "src", "index.js")}`);
    expect(out.deep).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  it("runs `vxswitch up` in a namespace, shows the segment in `status` and stops cleanly on `down`", async () => {
    lab = await Lab.create({ hosts: 1, containers: false, label: "pkg" });
    const host = lab.host(1);
    const control = join(labTempDir(), "vxswitch.sock");
    const tap = "vxs-t0";
    proc = spawnIn(host.ns, [vxswitch, ...upArgs({ local: host.underlayV4, remotes: ["198.18.0.2"], vni: 42, tap, control })], { env: PATH_ENV });
    await proc.waitFor(/ready/, { stream: "stdout", timeoutMs: 20_000 }).catch((error: unknown) => {
      throw new Error(`installed vxswitch did not get ready: ${String(error)}\n${proc?.transcript() ?? ""}`);
    });
    const status = JSON.parse(await nsExec(host.ns, [vxswitch, "status", "--control", control, "--json"], { env: PATH_ENV })) as {
      encap: string;
      segments: { id: number; tap: string }[];
      peers: { address: string }[];
    };
    expect(status.encap).toBe("vxlan");
    expect(status.segments).toEqual([expect.objectContaining({ id: 42, tap })]);
    expect(status.peers.map((p) => p.address)).toEqual(["198.18.0.2"]);
    expect(await ipIn(host.ns, ["link", "show", tap])).toContain(tap);

    const down = await nsExecResult(host.ns, [vxswitch, "down", "--control", control], { env: PATH_ENV });
    expect(down.code, `${down.stdout}${down.stderr}`).toBe(0);
    const exit = await proc.exited;
    expect(exit, proc.transcript()).toEqual({ code: 0, signal: null });
    expect((await nsExecResult(host.ns, ["ip", "link", "show", tap])).code, "the TAP outlived the switch").not.toBe(0);
  });
});
