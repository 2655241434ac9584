// Internet checksum (RFC 1071) over Buffer ranges: sums that chain across ranges, folding, verification.

/**
 * Adds the 16-bit big-endian words of buf[off, off + len) to `sum` without folding. Several
 * ranges (a pseudo header, then a header, then a payload) chain through `sum`; every range but
 * the last must have an even length. An odd last byte counts as its word's high byte.
 */
export function checksumAdd(buf: Buffer, off: number, len: number, sum = 0): number {
  let i = off;
  const end = off + len;
  const end4 = off + (len & ~3);
  // Two words per turn; the running sum stays an exact integer in a double for any real packet.
  for (; i < end4; i += 4) {
    sum += ((buf[i] << 8) | buf[i + 1]) + ((buf[i + 2] << 8) | buf[i + 3]);
  }
  if (i + 1 < end) {
    sum += (buf[i] << 8) | buf[i + 1];
    i += 2;
  }
  if (i < end) sum += buf[i] << 8;
  return sum;
}

/** Folds an unfolded sum to 16 bits with end-around carry (never 0 for a non-zero sum). */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** The checksum field value for an unfolded sum: the ones' complement of the folded sum. */
export function finishChecksum(sum: number): number {
  return ~foldChecksum(sum) & 0xffff;
}

/** The internet checksum of buf[off, off + len), with `initial` (e.g. a pseudo header sum) added. */
export function internetChecksum(buf: Buffer, off: number, len: number, initial = 0): number {
  return finishChecksum(checksumAdd(buf, off, len, initial));
}

/** True when a range that includes its own checksum field sums to 0xffff (i.e. is valid). */
export function checksumIsValid(buf: Buffer, off: number, len: number, initial = 0): boolean {
  return foldChecksum(checksumAdd(buf, off, len, initial)) === 0xffff;
}
