/**
 * Test and benchmark utility (not part of the published build): a private `redis-server` on a free
 * loopback port, without persistence unless asked, stopped when the process exits.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why the Redis tests cannot run here, or undefined when they can. */
export function redisUnavailableReason(): string | undefined {
  if (process.env.REDIS_URL) return undefined;
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    return 'redis-server is not on PATH and REDIS_URL is not set (install redis-server, or set REDIS_URL)';
  }
  return undefined;
}

/** Why a test that stops and starts its own server cannot run, or undefined. */
export function ownServerUnavailableReason(): string | undefined {
  if (process.env.REDIS_URL) return 'REDIS_URL is set: this test stops and restarts its own redis-server';
  return redisUnavailableReason();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends one inline command and resolves with the first reply line. */
function inlineCommand(port: number, command: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (data.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data.split('\r\n')[0] ?? '');
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export interface TestRedisServerOptions {
  /** Reuse a port (to restart a stopped server on the same address). */
  port?: number;
  /** Extra `redis-server` arguments, e.g. `['--requirepass', 'secret']`. */
  args?: string[];
  /** Working directory (for RDB files); default a fresh temporary one. */
  dir?: string;
}

/** A private redis-server. `url` is `redis://127.0.0.1:<port>`. */
export class TestRedisServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
    private readonly ownsDir: boolean,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: TestRedisServerOptions = {}): Promise<TestRedisServer> {
    const port = options.port ?? (await freePort());
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'q-store-redis-'));
    const server = new TestRedisServer(port, dir, options.args ?? [], options.dir === undefined);
    await server.startProcess();
    return server;
  }

  /** Starts the process again on the same port and directory (after `stop`). */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is still running');
    await this.startProcess();
  }

  private async startProcess(): Promise<void> {
    installExitHook();
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        ...this.args,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk.toString('utf8');
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited at start: ${stderr.trim()}`);
      try {
        const reply = await inlineCommand(this.port, 'PING');
        // +PONG, or -NOAUTH when the server requires a password: either way it is up.
        if (reply === '+PONG' || reply.startsWith('-NOAUTH')) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server did not answer PING on port ${this.port}: ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops the server (SIGKILL by default: an abrupt crash) and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    }
  }

  /** Stops the server and removes its directory (when it created it). */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The Redis URL for a test: `REDIS_URL` when set (the server is not ours then), else a private
 * server started here. `dispose` stops the private server.
 */
export async function testRedis(): Promise<{ url: string; server?: TestRedisServer; dispose(): Promise<void> }> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) return { url: fromEnv, dispose: async () => undefined };
  const server = await TestRedisServer.start();
  return { url: server.url, server, dispose: () => server.dispose() };
}

/** A key prefix unique to one test run, so runs sharing a REDIS_URL do not see each other. */
export function uniquePrefix(label: string): string {
  return `q-store-test:${label}:${process.pid}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:`;
}
