import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP server on 127.0.0.1 for the in-process service emulators (Pinecone, Qdrant, IonQ): a
 * free port unless one is given, and a `stop()` that drops open keep-alive connections so it
 * returns at once.
 */
export class LoopbackServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  #port: number;

  constructor(
    private readonly handler: RequestListener,
    private readonly options: { port?: number; maxHeaderSize?: number; keepAliveTimeoutMs?: number } = {},
  ) {
    this.#port = options.port ?? 0;
  }

  /** The port: the one listened on once started, else the one asked for (0: any free port). */
  get port(): number {
    return this.#port;
  }

  /** Starts listening on 127.0.0.1 and resolves to the port. */
  async start(): Promise<number> {
    const server =
      this.options.maxHeaderSize === undefined
        ? createServer(this.handler)
        : createServer({ maxHeaderSize: this.options.maxHeaderSize }, this.handler);
    if (this.options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = this.options.keepAliveTimeoutMs;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.#port = (server.address() as AddressInfo).port;
    return this.#port;
  }

  /** Stops listening and destroys open connections. Idempotent. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Injected faults of an emulator, applied in the order injected: each matches requests by its
 * `match` (every request without one) and applies to `times` of them (default 1).
 */
export class FaultQueue<F extends { match?: RegExp; times?: number }> {
  private readonly faults: Array<F & { times: number }> = [];

  push(fault: F): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** Faults still queued. */
  get size(): number {
    return this.faults.length;
  }

  /** The first queued fault matching `route` (and `accept`, when given), counted as used once. */
  take(route: string, accept: (fault: F) => boolean = () => true): F | undefined {
    const i = this.faults.findIndex((f) => accept(f) && (!f.match || f.match.test(route)));
    if (i < 0) return undefined;
    const fault = this.faults[i] as F & { times: number };
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(i, 1);
    return fault;
  }
}
