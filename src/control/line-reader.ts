// Splits a byte stream into lines with a bound on line length. Each byte is searched for the
// newline once: the unfinished line is kept as the chunks it came in and only new chunks are
// searched, so a client trickling a huge line costs O(bytes), not O(bytes^2).

const NEWLINE = 0x0a;

export interface ReadLines {
  /** Complete lines (without the newline), in order. */
  lines: string[];
  /** The unfinished line grew past the limit: the stream should be answered once and closed. */
  overlong: boolean;
}

export class LineReader {
  /** The unfinished line: the tails of earlier chunks, not yet joined. */
  private partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(readonly maxLineBytes: number) {}

  push(chunk: Buffer): ReadLines {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      if (this.partialBytes + nl - start > this.maxLineBytes) return { lines, overlong: true };
      const head = chunk.subarray(start, nl);
      lines.push(this.partialBytes === 0 ? head.toString("utf8") : Buffer.concat([...this.partial, head]).toString("utf8"));
      this.partial = [];
      this.partialBytes = 0;
      start = nl + 1;
    }
    const rest = chunk.length - start;
    if (this.partialBytes + rest > this.maxLineBytes) return { lines, overlong: true };
    if (rest > 0) {
      this.partial.push(chunk.subarray(start));
      this.partialBytes += rest;
    }
    return { lines, overlong: false };
  }
}
