// One control request line -> one answer object. Whatever the line holds (garbage, null, a number,
// an array, a cmd that is not a string, a handler that throws), the answer is an error, never a throw.

export interface ControlRequest {
  cmd: string;
  [arg: string]: unknown;
}

/** A handler may answer now or later (a reload will take a while). */
export type ControlHandler = (request: ControlRequest) => unknown;

export type ControlAnswer = { ok: true; result: unknown } | { ok: false; error: string };

const EXAMPLE = 'e.g. {"cmd":"status"}';

/** The request a line holds, or why it is not one. */
export function parseRequest(line: string): ControlRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return `request is not JSON; send one JSON object per line, ${EXAMPLE}`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `request must be a JSON object, ${EXAMPLE}; got ${value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`}`;
  }
  if (!("cmd" in value)) return `request has no "cmd", ${EXAMPLE}`;
  if (typeof value.cmd !== "string") return `"cmd" must be a string, ${EXAMPLE}`;
  return value as ControlRequest;
}

export async function answerLine(line: string, handlers: Readonly<Record<string, ControlHandler>>): Promise<ControlAnswer> {
  const req = parseRequest(line);
  if (typeof req === "string") return { ok: false, error: req };
  // Own properties only: "constructor" or "__proto__" must not reach Object.prototype.
  const handler = Object.hasOwn(handlers, req.cmd) ? handlers[req.cmd] : undefined;
  if (handler === undefined) {
    const shown = req.cmd.length > 40 ? `${req.cmd.slice(0, 40)}...` : req.cmd;
    return { ok: false, error: `unknown command ${JSON.stringify(shown)}; known: ${Object.keys(handlers).join(", ")}` };
  }
  try {
    return { ok: true, result: await handler(req) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** The answer as one line; an answer that cannot be encoded becomes an error answer. */
export function encodeAnswer(answer: ControlAnswer): string {
  try {
    return `${JSON.stringify(answer)}\n`;
  } catch (err) {
    return `${JSON.stringify({ ok: false, error: `cannot encode the answer: ${err instanceof Error ? err.message : String(err)}` })}\n`;
  }
}
