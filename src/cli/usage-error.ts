// A mistake on the command line (exit 2, with a pointer to --help), as opposed to a failure at run time (exit 1).

export class UsageError extends Error {
  /** `help` names the command whose --help explains the fix, e.g. "vxswitch up". */
  constructor(message: string, readonly help = "vxswitch") {
    super(message);
    this.name = "UsageError";
  }
}
