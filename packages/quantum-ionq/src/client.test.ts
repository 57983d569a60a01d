import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import type { RateLimitedError, ValidationError } from '@q-store/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { errorFromFailure, IonqClient, isRetryableStatus } from './client.js';
import { failure } from './expect-error.test-helper.js';

/** A scripted HTTP stub: each request takes the next answer; requests are recorded. */
interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const KEY = 'sk-live-ionq-0123456789abcdef';
let server: Server;
let url: string;
let script: Answer[] = [];
const seen: Array<{ method: string; url: string; authorization: string | undefined; at: number }> = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      at: Date.now(),
    });
    req.resume();
    req.on('end', () => {
      const answer = script.shift() ?? { status: 200, body: {} };
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v0.4`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  script = [];
  seen.length = 0;
});

const client = (extra: Partial<ConstructorParameters<typeof IonqClient>[0]> = {}) =>
  new IonqClient({ apiKey: KEY, baseUrl: url, retryBaseDelayMs: 5, retryMaxDelayMs: 20, random: () => 1, ...extra });

describe('IonqClient', () => {
  it('sends Authorization: apiKey <key> to the configured base URL', async () => {
    script = [{ status: 200, body: { id: 'job-1', status: 'submitted', session_id: null } }];
    const created = await client().createJob({
      type: 'ionq.circuit.v1',
      backend: 'simulator',
      shots: 10,
      input: { gateset: 'qis', qubits: 1, circuit: [{ gate: 'h', target: 0 }] },
    });
    expect(created.id).toBe('job-1');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v0.4/jobs', authorization: `apiKey ${KEY}` });
  });

  it('retries 429, 502–504 and 520–529, and nothing else', async () => {
    expect([429, 502, 503, 504, 520, 524, 529].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 402, 404, 500, 501, 505, 519, 530].some(isRetryableStatus)).toBe(false);
    script = [
      { status: 502, body: { statusCode: 502, error: 'Bad Gateway', message: 'proxy' } },
      { status: 520, body: 'origin' },
      { status: 429, body: { statusCode: 429, error: 'Too Many Requests', message: 'slow down' } },
      { status: 200, body: { id: 'j', status: 'completed' } },
    ];
    const job = await client().getJob('j');
    expect(job.status).toBe('completed');
    expect(seen).toHaveLength(4);
    script = [{ status: 500, body: { statusCode: 500, error: 'Internal Server Error', message: 'boom' } }];
    const error = await failure(() => client().getJob('j'));
    expect(error.code).toBe('SERVICE');
    expect(seen).toHaveLength(5);
  });

  it('waits at least Retry-After (seconds) before retrying, and backs off exponentially with jitter', async () => {
    script = [
      {
        status: 429,
        body: { statusCode: 429, error: 'Too Many Requests', message: 'x' },
        headers: { 'retry-after': '1' },
      },
      { status: 200, body: { id: 'j', status: 'ready' } },
    ];
    const started = Date.now();
    await client().getJob('j');
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    // Backoff: full jitter over base·2^(k−1); with random() = 0 there is no wait at all.
    seen.length = 0;
    script = [{ status: 503 }, { status: 503 }, { status: 200, body: { id: 'j', status: 'ready' } }];
    const fast = Date.now();
    await client({ retryBaseDelayMs: 10_000, retryMaxDelayMs: 10_000, random: () => 0 }).getJob('j');
    expect(Date.now() - fast).toBeLessThan(1000);
  });

  it('gives up after maxRetries with the typed error, Retry-After kept on RateLimitedError', async () => {
    script = Array.from({ length: 3 }, () => ({
      status: 429,
      body: { statusCode: 429, error: 'Too Many Requests', message: 'quota of requests' },
      headers: { 'retry-after': '0' },
    }));
    const error = (await failure(() => client({ maxRetries: 2 }).getJob('j'))) as RateLimitedError;
    expect(seen).toHaveLength(3);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterMs).toBe(0);
  });

  it('an abort during the backoff rejects at once with ABORTED', async () => {
    script = [{ status: 503, headers: { 'retry-after': '30' } }];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const error = await failure(() => client().getJob('j', controller.signal));
    expect(error.code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("maps IonQ's error bodies: validation (with the field), not enough qubits, auth, billing, not found", async () => {
    script = [
      {
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: '"shots" must be at most 1000000',
          validation: { keys: ['shots'], source: 'body' },
        },
      },
    ];
    const validation = (await failure(() => client().getJob('j'))) as ValidationError;
    expect(validation.code).toBe('VALIDATION');
    expect(validation.issues[0]?.field).toBe('shots');
    expect(validation.message).toContain('must be at most 1000000');

    script = [
      { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'Not enough qubits on qpu.aria-1' } },
    ];
    expect(((await failure(() => client().getJob('j'))) as ValidationError).issues[0]?.field).toBe('qubits');

    script = [
      { status: 401, body: { statusCode: 401, error: 'Unauthorized Error', message: 'Invalid key provided.' } },
    ];
    expect((await failure(() => client().getJob('j'))).code).toBe('AUTHENTICATION');

    script = [
      { status: 402, body: { statusCode: 402, error: 'Payment Required', message: 'billing: no credits left' } },
    ];
    expect((await failure(() => client().getJob('j'))).code).toBe('CAPACITY');

    script = [{ status: 413, body: { statusCode: 413, error: 'Request Entity Too Large', message: 'too large' } }];
    expect(((await failure(() => client().getJob('j'))) as ValidationError).issues[0]?.field).toBe('circuits');

    script = [{ status: 404, body: { statusCode: 404, error: 'Not Found Error', message: 'Resource not found.' } }];
    expect((await failure(() => client().getJob('j'))).code).toBe('NOT_FOUND');
  });

  it('never shows the key: not in errors that echo it, not in inspect or JSON', async () => {
    script = [
      {
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized Error', message: `Invalid key provided: ${KEY}` },
      },
    ];
    const error = await failure(() => client().getJob('j'));
    const everything = [error.message, error.stack ?? '', inspect(error, { depth: 10 }), JSON.stringify(error)].join(
      '\n',
    );
    expect(everything).not.toContain(KEY);
    const c = client();
    expect(inspect(c, { depth: 10, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(c)).not.toContain(KEY);
    // A network failure does not carry it either.
    const down = await failure(() =>
      new IonqClient({ apiKey: KEY, baseUrl: 'http://127.0.0.1:1/v0.4', maxRetries: 0 }).getJob('j'),
    );
    expect(down.code).toBe('CONNECTION');
    expect(inspect(down, { depth: 10 })).not.toContain(KEY);
  });

  it('a POST is not retried after a network failure (it may have created a job)', async () => {
    const c = new IonqClient({ apiKey: KEY, baseUrl: 'http://127.0.0.1:1/v0.4', maxRetries: 3, retryBaseDelayMs: 1 });
    let requests = 0;
    const counting = new IonqClient({
      apiKey: KEY,
      baseUrl: 'http://127.0.0.1:1/v0.4',
      maxRetries: 3,
      retryBaseDelayMs: 1,
      onRequest: () => {
        requests++;
      },
    });
    expect((await failure(() => c.getJob('j'))).code).toBe('CONNECTION');
    await failure(() =>
      counting.createJob({
        type: 'ionq.circuit.v1',
        backend: 'simulator',
        shots: 1,
        input: { gateset: 'qis', qubits: 1, circuit: [] },
      }),
    );
    expect(requests).toBe(1);
    await failure(() => counting.getJob('j'));
    expect(requests).toBe(1 + 4);
  });

  it('rejects bad options naming the field', () => {
    expect(() => new IonqClient({ apiKey: '' })).toThrow(/apiKey/);
    expect(() => new IonqClient({ apiKey: 'k', baseUrl: 'ftp://x' })).toThrow(/baseUrl/);
    expect(() => new IonqClient({ apiKey: 'k', maxRetries: -1 })).toThrow(/maxRetries/);
  });

  it("a failed job's reason is kept and mapped", () => {
    const qubits = errorFromFailure('j1', { code: 'NotEnoughQubits', message: 'needs 40' }) as ValidationError;
    expect(qubits.code).toBe('VALIDATION');
    expect(qubits.issues[0]?.field).toBe('qubits');
    expect(qubits.message).toContain('NotEnoughQubits: needs 40');
    expect((qubits as unknown as { failure: unknown }).failure).toEqual({
      code: 'NotEnoughQubits',
      message: 'needs 40',
    });
    expect(errorFromFailure('j2', { code: 'QuotaExhaustedError', message: 'no credit' }).code).toBe('CAPACITY');
    const internal = errorFromFailure('j3', { code: 'InternalError', message: 'oops' });
    expect(internal.code).toBe('SERVICE');
    expect(internal.retryable).toBe(true);
  });
});
