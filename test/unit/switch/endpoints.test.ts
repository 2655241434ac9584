import { describe, expect, it } from "vitest";
import { Endpoints } from "../../../src/switch/endpoints.js";

describe("Endpoints", () => {
  it("hands out small integer ids shared by ports and peers", () => {
    const e = new Endpoints();
    expect(e.addPort("vxs0")).toBe(0);
    expect(e.addPeer("198.18.0.2")).toBe(1);
    expect(e.addPort("vxs1")).toBe(2);
    expect(e.size).toBe(3);
    expect([...e.ids()]).toEqual([0, 1, 2]);
  });

  it("tells tunnels from local ports", () => {
    const e = new Endpoints();
    const port = e.addPort("vxs0");
    const peer = e.addPeer("198.18.0.2");
    expect(e.isTunnel(peer)).toBe(true);
    expect(e.isTunnel(port)).toBe(false);
    expect(e.isPort(port)).toBe(true);
    expect(e.kind(peer)).toBe("peer");
    expect(e.isTunnel(999)).toBe(false);
    expect(e.isTunnel(-1)).toBe(false);
  });

  it("finds names by id and ids by name", () => {
    const e = new Endpoints();
    const peer = e.addPeer("198.18.0.2:4789");
    expect(e.name(peer)).toBe("198.18.0.2:4789");
    expect(e.idOf("198.18.0.2:4789")).toBe(peer);
    expect(e.idOf("nope")).toBe(-1);
  });

  it("refuses a second endpoint with the same name", () => {
    const e = new Endpoints();
    e.addPort("vxs0");
    expect(() => e.addPeer("vxs0")).toThrow(/endpoint "vxs0" already exists/);
  });

  it("reuses the lowest freed id", () => {
    const e = new Endpoints();
    e.addPort("a");
    const b = e.addPeer("b");
    e.addPort("c");
    expect(e.remove(b)).toBe(true);
    expect(e.isTunnel(b)).toBe(false);
    expect(e.name(b)).toBeUndefined();
    expect(e.remove(b)).toBe(false);
    expect(e.addPort("d")).toBe(b);
    expect(e.isTunnel(b)).toBe(false);
  });

  it("keeps working past its initial capacity", () => {
    const e = new Endpoints();
    for (let i = 0; i < 100; i++) e.addPeer(`198.18.1.${i}`);
    expect(e.isTunnel(99)).toBe(true);
    expect(e.capacity).toBe(100);
  });
});
