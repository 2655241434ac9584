// 16-byte address conversions and peer keys of src/io/address.ts.
import { describe, expect, it } from "vitest";
import {
  addressFamily, addressHash, anyAddress, formatAddress, formatEndpoint, isMulticast, isUnspecified,
  isV4Mapped, parseAddress, sameAddress, v4Key, writeAddress,
} from "../../src/io/address.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("address", () => {
  it("maps IPv4 to ::ffff:a.b.c.d with the address in bytes 12..15", () => {
    expect(hex(parseAddress("198.18.0.1"))).toBe("00000000000000000000ffffc6120001");
    expect(isV4Mapped(parseAddress("198.18.0.1"))).toBe(true);
    expect(addressFamily(parseAddress("198.18.0.1"))).toBe(4);
  });

  it("reads the IPv4-mapped text form as IPv4", () => {
    expect(hex(parseAddress("::ffff:198.18.0.1"))).toBe(hex(parseAddress("198.18.0.1")));
    expect(formatAddress(parseAddress("::ffff:198.18.0.1"))).toBe("198.18.0.1");
  });

  it("parses IPv6 with and without compression, keeping IPv6 as is", () => {
    expect(hex(parseAddress("2001:db8::1"))).toBe("20010db8000000000000000000000001");
    expect(hex(parseAddress("::"))).toBe("0".repeat(32));
    expect(hex(parseAddress("fe80::1:2"))).toBe("fe800000000000000000000000010002");
    expect(hex(parseAddress("1:2:3:4:5:6:7:8"))).toBe("00010002000300040005000600070008");
    expect(hex(parseAddress("64:ff9b::198.18.0.1"))).toBe("0064ff9b0000000000000000c6120001");
    expect(isV4Mapped(parseAddress("2001:db8::1"))).toBe(false);
    expect(addressFamily(parseAddress("::1"))).toBe(6);
  });

  it("formats IPv6 the RFC 5952 way: lower case, longest zero run compressed, first on a tie", () => {
    expect(formatAddress(parseAddress("2001:DB8:0:0:0:0:0:1"))).toBe("2001:db8::1");
    expect(formatAddress(parseAddress("2001:db8:0:0:1:0:0:1"))).toBe("2001:db8::1:0:0:1");
    expect(formatAddress(parseAddress("2001:0:0:1:0:0:0:1"))).toBe("2001:0:0:1::1");
    expect(formatAddress(parseAddress("2001:db8:0:1:1:1:1:1"))).toBe("2001:db8:0:1:1:1:1:1");
    expect(formatAddress(parseAddress("::"))).toBe("::");
    expect(formatAddress(parseAddress("::1"))).toBe("::1");
    expect(formatAddress(parseAddress("fe80::"))).toBe("fe80::");
  });

  it("round-trips text -> bytes -> text", () => {
    for (const a of ["0.0.0.0", "255.255.255.255", "198.19.255.1", "::", "::1", "ff02::1", "2001:db8:1:2:3:4:5:6"]) {
      expect(formatAddress(parseAddress(a))).toBe(a);
    }
  });

  it("writes into a larger array at an offset", () => {
    const out = new Uint8Array(48);
    writeAddress("198.18.0.2", out, 16);
    writeAddress("2001:db8::2", out, 32);
    expect(formatAddress(out, 16)).toBe("198.18.0.2");
    expect(formatAddress(out, 32)).toBe("2001:db8::2");
    expect(hex(out.subarray(0, 16))).toBe("0".repeat(32));
  });

  it("rejects what is not an address, saying so", () => {
    expect(() => parseAddress("198.18.0.256")).toThrow(/"198.18.0.256" is not an IPv4 or IPv6 address/);
    expect(() => parseAddress("fe80::1%eth0")).toThrow(/zone ids are not supported/);
    expect(() => parseAddress("host.example")).toThrow(RangeError);
  });

  it("keys an IPv4 peer by the uint32 in bytes 12..15", () => {
    const a = parseAddress("198.18.0.1");
    expect(v4Key(a)).toBe(0xc6120001);
    expect(addressHash(a)).toBe(0xc6120001);
    expect(v4Key(parseAddress("255.255.255.255"))).toBe(0xffffffff);
  });

  it("hashes IPv6 addresses to 32 bits and compares them in place", () => {
    const buf = new Uint8Array(32);
    writeAddress("2001:db8::1", buf, 0);
    writeAddress("2001:db8::1", buf, 16);
    const h = addressHash(buf, 0);
    expect(h).toBe(addressHash(buf, 16));
    expect(h).toBeGreaterThanOrEqual(0);
    expect(h).toBeLessThan(2 ** 32);
    expect(addressHash(parseAddress("2001:db8::2"))).not.toBe(h);
    expect(sameAddress(buf, 0, buf, 16)).toBe(true);
    expect(sameAddress(buf, 0, parseAddress("2001:db8::2"), 0)).toBe(false);
  });

  it("classifies multicast and unspecified addresses of both families", () => {
    expect(isMulticast(parseAddress("239.1.1.1"))).toBe(true);
    expect(isMulticast(parseAddress("198.18.0.1"))).toBe(false);
    expect(isMulticast(parseAddress("ff05::1"))).toBe(true);
    expect(isMulticast(parseAddress("2001:db8::1"))).toBe(false);
    expect(isUnspecified(anyAddress(4))).toBe(true);
    expect(isUnspecified(anyAddress(6))).toBe(true);
    expect(formatAddress(anyAddress(4))).toBe("0.0.0.0");
    expect(isUnspecified(parseAddress("::1"))).toBe(false);
  });

  it("formats endpoints like iproute2 / ss", () => {
    expect(formatEndpoint(parseAddress("198.18.0.1"), 0, 4789)).toBe("198.18.0.1:4789");
    expect(formatEndpoint(parseAddress("2001:db8::1"), 0, 4789)).toBe("[2001:db8::1]:4789");
  });
});
