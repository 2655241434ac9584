// WireError: a header that failed its check, carrying the reason code the check returned.

/** Thrown by the Repr parsers and checked view constructors; `reason` is the check's code. */
export class WireError extends Error {
  constructor(
    readonly reason: string,
    readonly what: string,
    readonly offset: number,
  ) {
    super(`malformed ${what} at offset ${offset}: ${reason}`);
    this.name = "WireError";
  }
}

/** Throws a WireError when a check returned a reason; used by the checked constructors and parsers. */
export function assertWire(reason: string | null, what: string, offset: number): void {
  if (reason !== null) throw new WireError(reason, what, offset);
}
