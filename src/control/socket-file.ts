// The control socket's file: a private directory, a stale file cleared but a live one never taken
// over, mode 0600 whatever the umask, and removal only while the file is still ours (same inode).
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, rmSync, unlinkSync } from "node:fs";
import { createConnection, type Server } from "node:net";
import { basename, dirname, join } from "node:path";

/** Only the owner (root, in practice) may connect: the socket can change the FDB. */
const SOCKET_MODE = 0o600;
const DIRECTORY_MODE = 0o700;
const PROBE_TIMEOUT_MS = 1000;

/** Which file we bound, so a successor's socket at the same path is left alone. */
export interface SocketIdentity {
  dev: number;
  ino: number;
}

/** Makes the directory (0700) if missing; clears a stale socket; refuses a live one or a non-socket. */
export async function prepareSocketPath(path: string): Promise<{ removedStale: boolean }> {
  const dir = dirname(path);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: DIRECTORY_MODE });
    chmodSync(dir, DIRECTORY_MODE);
  }
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return { removedStale: false };
  }
  if (!isSocket) throw new Error(`control socket path ${path} exists and is not a socket; remove it or choose another --control PATH`);
  if (await somethingAnswers(path)) {
    throw new Error(`another vxswitch is already serving control socket ${path}; stop it first or give this one its own --control PATH`);
  }
  unlinkSync(path);
  return { removedStale: true };
}

/** Whether a process accepts connections on the socket (a stale file refuses them). */
function somethingAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = createConnection(path);
    const done = (answers: boolean): void => {
      clearTimeout(timer);
      conn.destroy();
      resolve(answers);
    };
    // A listener too busy to accept within the timeout is still a listener.
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS);
    conn.once("connect", () => done(true));
    conn.once("error", (err: NodeJS.ErrnoException) => done(err.code !== "ECONNREFUSED" && err.code !== "ENOENT"));
  });
}

/**
 * Binds the server to path with mode 0600. The socket is bound under a temporary name (with the
 * umask tightened around the synchronous bind), given its mode, then hard-linked to path: link()
 * never replaces an existing file, so a switch that started meanwhile keeps its socket, and path
 * never exists with looser permissions. Binding the final name directly would also be wrong at
 * exit: libuv unlinks the name it bound when the server closes, whoever's socket is there by then.
 */
export async function listenPrivately(server: Server, path: string): Promise<SocketIdentity> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.binding`);
  rmSync(temporary, { force: true });
  const listening = new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const previous = process.umask(0o177);
  try {
    server.listen(temporary);
  } finally {
    process.umask(previous);
  }
  await listening;
  try {
    chmodSync(temporary, SOCKET_MODE);
    linkSync(temporary, path);
  } catch (err) {
    server.close();
    throw err;
  } finally {
    rmSync(temporary, { force: true });
  }
  const st = lstatSync(path);
  return { dev: st.dev, ino: st.ino };
}

/** Removes the socket file if it is still the one we bound (another switch may have replaced it). */
export function removeIfOurs(path: string, ours: SocketIdentity): boolean {
  try {
    const st = lstatSync(path);
    if (st.dev !== ours.dev || st.ino !== ours.ino) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
