import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { IamWardenError, MissingToolError } from '../errors.js';

/** A running moto_server, owned by this process. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`, to pass as the SDK client `endpoint`. */
  endpoint: string;
  port: number;
  /** Clears every resource in every service (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Stops the server and its process group. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Extra environment for moto_server, on top of this process's (e.g. `MOTO_ALLOW_NONEXISTENT_REGION`). */
  env?: Record<string, string>;
  /** Executable to run; `moto_server` unless a test needs a missing one. */
  command?: string;
  /** How long to wait for the server to answer; 20 s by default. */
  readyTimeoutMs?: number;
}

const INSTALL_HINT =
  'Install it with: pip install "moto[server]" (needs Python 3), then make sure moto_server is on PATH.';
const MAX_PORT_ATTEMPTS = 3;
const STOP_GRACE_MS = 3_000;
const STDERR_TAIL_LINES = 20;

/**
 * Starts moto_server on a free local port and resolves once it answers HTTP.
 *
 * IAM managed policies (AdministratorAccess...) are loaded, because remediation detaches them by ARN and moto
 * only knows them when `MOTO_IAM_LOAD_MANAGED_POLICIES` is set. The server runs in its own process group so
 * `stop()` takes down the pyenv shim and Python child together; it is also killed when this process exits.
 *
 * @throws MissingToolError when moto_server is not installed, with the command that installs it.
 * @throws IamWardenError when it does not come up within `readyTimeoutMs`, with moto's last stderr lines.
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  let lastError: unknown;
  // Another process can take the port between our probe closing it and moto binding it; a new port fixes that.
  for (let attempt = 1; attempt <= MAX_PORT_ATTEMPTS; attempt++) {
    try {
      return await startOnce(await freePort(), options);
    } catch (error) {
      if (!(error instanceof PortTakenError)) throw error;
      lastError = error;
    }
  }
  throw new IamWardenError(`moto_server could not bind a port after ${MAX_PORT_ATTEMPTS} attempts`, {
    cause: lastError,
  });
}

/** Clears all state of the moto_server at `endpoint`; used by test workers that only know the endpoint. */
export async function resetMotoState(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) {
    throw new IamWardenError(`POST ${endpoint}/moto-api/reset answered HTTP ${response.status}`);
  }
}

class PortTakenError extends IamWardenError {
  override name = 'PortTakenError';
}

async function startOnce(port: number, options: StartMotoOptions): Promise<MotoServer> {
  const command = options.command ?? 'moto_server';
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', ...options.env },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = captureTail(child);
  const group = killGroupOnParentExit(child);

  try {
    await waitUntilReady(child, endpoint, options.readyTimeoutMs ?? 20_000, stderr, command);
  } catch (error) {
    await group.stop();
    throw error;
  }

  // Let a script that forgets stop() still exit; the 'exit' hook then kills the server.
  child.unref();
  // stdio pipes are sockets at runtime, though typed as plain Readables.
  (child.stderr as Socket | null)?.unref();

  return {
    endpoint,
    port,
    reset: () => resetMotoState(endpoint),
    stop: group.stop,
  };
}

async function waitUntilReady(
  child: ChildProcess,
  endpoint: string,
  timeoutMs: number,
  stderr: () => string,
  command: string,
): Promise<void> {
  const spawnFailure = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new MissingToolError(`${command} was not found on PATH. ${INSTALL_HINT}`, { cause: error })
          : new IamWardenError(`Could not start ${command}`, { cause: error }),
      );
    });
  });
  // Errors surface through the race below; this only stops an unhandled rejection if polling wins first.
  spawnFailure.catch(() => {});

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await Promise.race([spawnFailure, sleep(100)]);
    if (child.exitCode !== null || child.signalCode !== null) throw exitedEarly(child, stderr(), command);
    // /moto-api/ is served by moto itself, so a 200 there means the whole WSGI app is up, not just the socket.
    if (await answers(`${endpoint}/moto-api/`)) {
      // If ours already died (lost the port race), the 200 came from whoever holds the port: do not use it.
      if (child.exitCode !== null || child.signalCode !== null) throw exitedEarly(child, stderr(), command);
      return;
    }
  }
  throw new IamWardenError(`${command} did not answer on ${endpoint} within ${timeoutMs} ms.\n${stderr()}`);
}

function exitedEarly(child: ChildProcess, stderr: string, command: string): Error {
  if (stderr.includes('Address already in use')) return new PortTakenError(stderr);
  // A pyenv shim exits 127 when the active Python has no moto_server, instead of the spawn failing.
  if (child.exitCode === 127) {
    return new MissingToolError(`${command} is not installed. ${INSTALL_HINT}\n${stderr}`);
  }
  return new IamWardenError(
    `${command} exited before it was ready (code ${child.exitCode}, signal ${child.signalCode}).\n${stderr}`,
  );
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Keeps moto's last stderr lines for error messages, without werkzeug's per-request access log lines. */
function captureTail(child: ChildProcess): () => string {
  const lines: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (/^\S+ - - \[/.test(line)) continue;
      lines.push(line);
      if (lines.length > STDERR_TAIL_LINES) lines.shift();
    }
  });
  return () => [...lines, partial].join('\n').trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new IamWardenError('Could not read the port of a probe server'));
      });
    });
  });
}

const PARENT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * The server is detached (its own process group), so Ctrl-C in a terminal no longer reaches it and a dying
 * parent would leave it running on its port. Kill the group on 'exit' and on the signals that skip 'exit'.
 */
function killGroupOnParentExit(child: ChildProcess): { stop: () => Promise<void> } {
  const killGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  const onExit = (): void => killGroup('SIGKILL');
  const onSignal = (signal: NodeJS.Signals): void => {
    killGroup('SIGKILL');
    // With our listener gone, re-raising gives Node's default (terminate) unless someone else handles it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.once('exit', onExit);
  for (const signal of PARENT_SIGNALS) process.once(signal, onSignal);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', onExit);
      for (const signal of PARENT_SIGNALS) process.off(signal, onSignal);
      if (child.pid === undefined) return;
      const exited =
        child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
      killGroup('SIGTERM');
      const grace = new AbortController();
      const stopped = await Promise.race([
        exited.then(() => true),
        sleep(STOP_GRACE_MS, false, { signal: grace.signal }).catch(() => false),
      ]);
      grace.abort();
      // Also SIGKILL after a clean exit: a grandchild that ignored SIGTERM would keep the port.
      killGroup('SIGKILL');
      if (!stopped) await exited;
    })();
    return stopping;
  };
  return { stop };
}
