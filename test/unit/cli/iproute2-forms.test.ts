import { describe, expect, it } from "vitest";
import { mergeKeywords } from "../../../src/cli/keywords.js";
import { formatFdb } from "../../../src/cli/query.js";
import { formatJson } from "../../../src/cli/output.js";
import { UsageError } from "../../../src/cli/usage-error.js";

const parsers = { dev: (v: string) => v, vni: (v: string) => { if (!/^\d+$/.test(v)) throw new Error("vni must be a whole number"); return Number(v); } };

describe("iproute2 keyword forms", () => {
  it("reads `dev TAP vni N` into the same options the flags set", () => {
    expect(mergeKeywords(["dev", "vxtap42", "vni", "42"], parsers, { control: "/s" }, "vxswitch fdb show")).toEqual({ control: "/s", dev: "vxtap42", vni: 42 });
  });

  it("accepts a keyword beside the flag when both say the same, and refuses a contradiction", () => {
    expect(mergeKeywords(["vni", "42"], parsers, { vni: 42 }, "h")).toEqual({ vni: 42 });
    expect(() => mergeKeywords(["vni", "43"], parsers, { vni: 42 }, "h")).toThrow("vni 43 contradicts --vni 42");
  });

  it("refuses unknown keywords, a keyword without a value, a keyword twice and a bad value as usage errors", () => {
    const cases: [string[], RegExp][] = [
      [["brige", "x"], /^unexpected "brige"; expected dev DEV, vni VNI$/],
      [["dev"], /^"dev" needs a value$/],
      [["dev", "a", "dev", "b"], /^"dev" is given twice$/],
      [["vni", "x"], /^vni must be a whole number$/],
    ];
    for (const [words, message] of cases) {
      let err: unknown;
      try {
        mergeKeywords(words, parsers, {}, "vxswitch fdb show");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toMatch(message);
      expect((err as UsageError).help).toBe("vxswitch fdb show");
    }
  });
});

describe("fdb show output", () => {
  const rows = [
    { mac: "52:54:00:42:02:00", ifname: "vxtap42", dst: "198.18.0.2", vni: 42, flags: ["self"], updated: 113 },
    { mac: "52:54:00:00:00:01", ifname: "vxtap42", dst: "198.18.0.3", vni: 42, flags: ["self"], state: "permanent" as const },
    { mac: "52:54:00:42:01:00", ifname: "vxtap42", vni: 42, flags: ["self"], updated: 3 },
  ];

  it("reads like bridge fdb show", () => {
    expect(formatFdb(rows).split("\n")).toEqual([
      "52:54:00:42:02:00 dev vxtap42 dst 198.18.0.2 vni 42 self",
      "52:54:00:00:00:01 dev vxtap42 dst 198.18.0.3 vni 42 self permanent",
      "52:54:00:42:01:00 dev vxtap42 vni 42 self",
    ]);
  });

  it("adds the seconds since the last update with -s", () => {
    expect(formatFdb(rows, { stats: true }).split("\n")[0]).toBe("52:54:00:42:02:00 dev vxtap42 dst 198.18.0.2 vni 42 self updated 113");
  });

  it("prints JSON on one line with -j and indented with -p", () => {
    expect(formatJson([{ mac: "x" }], {})).toBe('[{"mac":"x"}]');
    expect(formatJson([{ mac: "x" }], { pretty: true })).toBe('[\n  {\n    "mac": "x"\n  }\n]');
  });
});
