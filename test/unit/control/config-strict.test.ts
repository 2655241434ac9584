// Strict configuration: unknown keys named with their place, decimal-only numbers in YAML,
// -c FILE refusing setting flags beside it, and a warning for an MTU the underlay cannot carry.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfigFile, validateConfig } from "../../../src/control/config.js";
import { mtuWarnings } from "../../../src/control/mtu-check.js";
import { configFromFlags, settingFlagsGiven } from "../../../src/cli/up.js";
import { UsageError } from "../../../src/cli/usage-error.js";
import { plan } from "../../../src/control/plan.js";

const dir = mkdtempSync(join(tmpdir(), "vxs-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

function yamlFile(text: string): string {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

describe("unknown keys", () => {
  it("names each unknown key inside a segment with its path", () => {
    const input = { local: "198.18.0.1", segments: [{ vni: 42, tap: "vxtap42" }, { vni: 43, tap: "vxtap43", brige: "br0", adress: "10.0.0.1/24" }] };
    expect(problemsOf(() => validateConfig(input))).toEqual(["segments[1].brige: unknown key", "segments[1].adress: unknown key"]);
  });

  it("names an unknown top-level key", () => {
    expect(problemsOf(() => validateConfig({ local: "198.18.0.1", peer: ["198.18.0.2"], segments: [{ vni: 1, tap: "t1" }] }))).toEqual(["peer: unknown key"]);
  });

  it("reports other problems with bracketed indexes", () => {
    expect(problemsOf(() => validateConfig({ local: "198.18.0.1", segments: [{ vni: 1, tap: "t1", mtu: 10 }] }))[0]).toMatch(/^segments\[0\]\.mtu: /);
  });
});

describe("numbers in YAML", () => {
  it.each([
    ["0x2a", "hex", 42],
    ["0o52", "octal (YAML 1.2)", 42],
    ["052", "leading zero, decimal 52 in YAML 1.2 but octal 42 in 1.1", 52],
    ["4.2e1", "exponent", 42],
  ])("refuses vni: %s (%s), naming the place and the value YAML read", (written, _why, value) => {
    const file = yamlFile(`local: 198.18.0.1\nsegments:\n  - vni: ${written}\n    tap: vxtap42\n`);
    expect(problemsOf(() => loadConfigFile(file))).toEqual([`segments[0].vni: ${written} is not a decimal integer; hex, octal, sexagesimal and fractional forms are refused (write ${value} if that is what you mean)`]);
  });

  it("refuses YAML 1.1 octal and sexagesimal forms", () => {
    const file = yamlFile("%YAML 1.1\n---\nlocal: 198.18.0.1\nport: 1:20\nsegments:\n  - { key: 052, tap: gre1 }\nencap: gre\n");
    expect(problemsOf(() => loadConfigFile(file))).toEqual([
      "port: 1:20 is not a decimal integer; hex, octal, sexagesimal and fractional forms are refused (write 80 if that is what you mean)",
      "segments[0].key: 052 is not a decimal integer; hex, octal, sexagesimal and fractional forms are refused (write 42 if that is what you mean)",
    ]);
  });

  it("accepts decimal numbers; keys (VLAN ids) are not numbers and are left to the schema", () => {
    const file = yamlFile("local: 198.18.0.1\nport: 4789\nsegments:\n  - { trunk: true, tap: t0, vlans: { 0100: 7 } }\n");
    expect(problemsOf(() => loadConfigFile(file))).toEqual([]);
    expect(loadConfigFile(yamlFile("local: 198.18.0.1\nsegments:\n  - { vni: 42, tap: t }\n")).segments[0]!.vni).toBe(42);
  });
});

describe("-c FILE with flags", () => {
  const file = yamlFile("local: 198.18.0.1\nsegments:\n  - { vni: 42, tap: vxtap42 }\n");

  it("refuses setting flags beside -c, naming them", () => {
    expect(() => configFromFlags({ config: file, vni: 7, mtu: 1400, offloads: true })).toThrow(UsageError);
    expect(() => configFromFlags({ config: file, vni: 7, greCsum: true, offloads: false })).toThrow(
      "-c FILE holds the whole configuration; put --vni, --gre-csum, --no-offloads in the file instead (only --control, --dry-run, --log-level and --log-format go with -c)",
    );
  });

  it("takes --control and --dry-run beside -c", () => {
    expect(configFromFlags({ config: file, control: "/tmp/x.sock", dryRun: true, offloads: true }).control).toBe("/tmp/x.sock");
    expect(settingFlagsGiven({ config: file, control: "/x", dryRun: true, offloads: true })).toEqual([]);
  });
});

describe("flags that make no valid configuration", () => {
  it("are a usage error naming the flag, not the config path", () => {
    expect(() => configFromFlags({ local: "198.18.0.1", tap: "vxtap42", offloads: true })).toThrow(new UsageError("--vni: a VXLAN segment needs a vni", "vxswitch up"));
    expect(() => configFromFlags({ local: "198.18.0.1", tap: "t", vni: 1, remote: ["198.18.0.1"], offloads: true })).toThrow("--remote: peer 198.18.0.1 is the local address");
  });
});

describe("--mtu above what the underlay carries", () => {
  const cfg = (mtu?: number, underlayMtu = 1400) => validateConfig({ local: "198.18.0.1", underlayMtu, segments: [{ vni: 42, tap: "vxtap42", ...(mtu === undefined ? {} : { mtu }) }] });

  it("warns, naming the segment, the limit and the overhead", () => {
    expect(mtuWarnings(plan(cfg(9000)))).toEqual([
      "warning: segment 42 (vxtap42): mtu 9000 is more than an assumed underlay mtu of 1400 (no interface holds the local address here) allows (1350 after 50 bytes of encapsulation); larger frames leave as fragmented underlay packets or are lost",
    ]);
  });

  it("stays quiet at or below the limit and for the derived MTU", () => {
    expect(mtuWarnings(plan(cfg(1350)))).toEqual([]);
    expect(mtuWarnings(plan(cfg()))).toEqual([]);
  });
});
