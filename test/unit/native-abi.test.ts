// The numbers TS and the addon share (native/abi.h, src/io/native-abi.ts) are compared when the
// addon loads: an addon built with other numbers is refused with the constant named.
import { describe, expect, it } from "vitest";

import { checkNativeAbi, EXPECTED_ABI, GRO_RECORD } from "../../src/io/native-abi.js";
import { loadNative } from "../../src/io/native.js";

describe("native ABI check", () => {
  it("accepts the addon this checkout built: its abi object equals the TypeScript table", () => {
    const addon = loadNative();
    expect({ ...addon.abi }).toEqual(EXPECTED_ABI);
    expect(() => checkNativeAbi(addon.abi, "under test")).not.toThrow();
  });

  it("names a constant whose value differs, with both values", () => {
    const wrong = { ...EXPECTED_ABI, GRO_RECORD: GRO_RECORD + 1 };
    expect(() => checkNativeAbi(wrong, "at /x.node")).toThrow(
      `GRO_RECORD is ${GRO_RECORD + 1} in the addon, ${GRO_RECORD} in TypeScript`,
    );
  });

  it("names constants missing on either side", () => {
    const { GRO_PAD: _dropped, ...missing } = EXPECTED_ABI;
    expect(() => checkNativeAbi(missing, "at /x.node")).toThrow(/GRO_PAD missing in the addon \(TypeScript: 4\)/);
    expect(() => checkNativeAbi({ ...EXPECTED_ABI, NEW_THING: 7 }, "at /x.node")).toThrow(/NEW_THING \(7\) unknown to TypeScript/);
  });

  it("checks against the table it is given, so a wrong TypeScript table is caught too", () => {
    const addon = loadNative();
    expect(() => checkNativeAbi(addon.abi, "at /x.node", { ...EXPECTED_ABI, VNET_HDR_LEN: 12 })).toThrow(
      /VNET_HDR_LEN is 10 in the addon, 12 in TypeScript/,
    );
  });

  it("refuses an addon without an abi object and says how to fix it", () => {
    expect(() => checkNativeAbi(undefined, "at /old.node")).toThrow(/at \/old\.node exports no abi constants.*npm run build/);
  });
});
