// Socket options of the addon's UDP sockets are checked and reported, not assumed (issue 10:
// unchecked setsockopt, a silent buffer resize, getsockname failures reported as port 0).
import { describe, expect, it } from "vitest";
import { parseAddress } from "../../src/io/address.js";
import { loadNative } from "../../src/io/native.js";

const addon = loadNative();
const LOOPBACK = parseAddress("127.0.0.1");

describe("udpOpen", () => {
  it("reports the buffer sizes the kernel set, and the kernel's defaults when none were asked for", () => {
    const plain = addon.udpOpen(4, LOOPBACK, 0, {});
    const grown = addon.udpOpen(4, LOOPBACK, 0, { rcvBuf: 1 << 20, sndBuf: 1 << 20 });
    try {
      expect(plain.rcvBuf).toBeGreaterThan(0);
      expect(plain.sndBuf).toBeGreaterThan(0);
      // As root SO_RCVBUFFORCE grants it; the kernel reports twice what it grants (bookkeeping).
      expect(grown.rcvBuf).toBe(2 << 20);
      expect(grown.sndBuf).toBe(2 << 20);
      expect(grown.port).toBeGreaterThan(0);
    } finally {
      addon.close(plain.fd);
      addon.close(grown.fd);
    }
  });

  it("reports the bound port (never 0) for an ephemeral bind", () => {
    const s = addon.udpOpen(4, LOOPBACK, 0, { reuseAddr: true, reusePort: true });
    try {
      expect(s.port).toBeGreaterThan(1023);
    } finally {
      addon.close(s.fd);
    }
  });
});
