// Namespaces and child processes for the native I/O tests: every namespace is vxs-<tag>-<pid>-<n>,
// every child runs test/fixtures/native-agent.mjs under `ip netns exec`, all removed afterwards.
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe } from "vitest";

const run = promisify(execFile);
const AGENT = fileURLToPath(new URL("../fixtures/native-agent.mjs", import.meta.url));

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
/** Need root; under CI=true they always run (and fail without root), never skip. */
export const netnsTestsEnabled = isRoot || process.env.CI === "true";
export const describeNetns = describe.skipIf(!netnsTestsEnabled);

export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("ip", args);
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(" ")}: ${e.stderr?.trim() || e.message}`);
  }
}

export interface AgentEvent {
  event: string;
  [key: string]: unknown;
}

const liveAgents = new Set<Agent>();
const liveNamespaces = new Set<string>();
let counter = 0;

// Last line of defence if a test process dies between creating and removing a namespace.
process.once("exit", () => {
  for (const agent of liveAgents) agent.kill();
  for (const ns of liveNamespaces) {
    try {
      execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
});

/** A child node process inside a namespace running one scenario of native-scenarios.ts. */
export class Agent {
  private readonly events: AgentEvent[] = [];
  private readonly waiters: (() => void)[] = [];
  private stderr = "";
  private exitCode: number | null | undefined;
  private readonly exit: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, readonly scenario: string) {
    let buffered = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.events.push(JSON.parse(line) as AgentEvent);
        } catch {
          this.stderr += `(stdout) ${line}\n`;
        }
        this.wake();
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    child.stdin.on("error", () => undefined);
    this.exit = new Promise((resolve) => {
      child.once("exit", (code) => {
        this.exitCode = code;
        liveAgents.delete(this);
        this.wake();
        resolve(code);
      });
    });
  }

  /** `ip netns exec <ns> [...wrap] node native-agent.mjs <scenario> <json>`. */
  static spawn(ns: string, scenario: string, args: object = {}, wrap: string[] = []): Agent {
    const argv = ["netns", "exec", ns, ...wrap, process.execPath, AGENT, scenario, JSON.stringify(args)];
    const agent = new Agent(spawn("ip", argv, { stdio: ["pipe", "pipe", "pipe"] }), scenario);
    liveAgents.add(agent);
    return agent;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits for the next line with this event; fails on an "error" event, an exit or a timeout. */
  async next(event: string, timeoutMs = 20_000): Promise<AgentEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e) => e.event === event || e.event === "error");
      if (i >= 0) {
        const [found] = this.events.splice(i, 1);
        if (found.event === "error") {
          throw new Error(`${this.scenario}: ${String(found.message)}\n${String(found.stack)}\n${this.stderr}`);
        }
        return found;
      }
      if (this.exitCode !== undefined) {
        throw new Error(`${this.scenario} exited (${this.exitCode}) before "${event}"\n${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.scenario}: no "${event}" within ${timeoutMs} ms\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /**
   * Resolves with the exit code once the child ends on its own; a child that outlives the
   * timeout is killed and reported: something (a poll handle, a socket) kept its loop alive.
   */
  async exited(timeoutMs = 10_000): Promise<number | null> {
    this.child.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const result = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (result === "timeout") {
      this.kill();
      throw new Error(`${this.scenario} did not exit within ${timeoutMs} ms (a handle kept it alive)\n${this.stderr}`);
    }
    return result;
  }

  get errorOutput(): string {
    return this.stderr;
  }

  kill(): void {
    if (this.exitCode === undefined) this.child.kill("SIGKILL");
  }
}

/** Namespaces of one test file; `cleanup()` (in afterAll) kills its agents and deletes them. */
export class NetnsSet {
  private readonly names: string[] = [];

  constructor(private readonly tag: string) {}

  /** Creates vxs-<tag>-<pid>-<n> with its loopback up. */
  async add(): Promise<string> {
    const name = `vxs-${this.tag}-${process.pid}-${++counter}`;
    liveNamespaces.add(name);
    this.names.push(name);
    await ip("netns", "add", name);
    await ip("-n", name, "link", "set", "lo", "up");
    return name;
  }

  /** A veth pair between two namespaces, addressed (a.b.c.d/len) and up. */
  async veth(nsA: string, ifA: string, addrA: string, nsB: string, ifB: string, addrB: string): Promise<void> {
    await ip("-n", nsA, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", nsB);
    await ip("-n", nsA, "addr", "add", addrA, "dev", ifA);
    await ip("-n", nsB, "addr", "add", addrB, "dev", ifB);
    await ip("-n", nsA, "link", "set", ifA, "up");
    await ip("-n", nsB, "link", "set", ifB, "up");
  }

  async cleanup(): Promise<void> {
    for (const agent of liveAgents) agent.kill();
    for (const name of this.names.splice(0)) {
      try {
        await ip("netns", "del", name);
      } catch {
        // already gone
      }
      liveNamespaces.delete(name);
    }
  }
}
