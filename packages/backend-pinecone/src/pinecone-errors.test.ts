import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Pinecone } from '@pinecone-database/pinecone';
import { AbortError, isQStoreError, RateLimitedError, ServiceError } from '@q-store/core';
import { parseRetryAfter } from '@q-store/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failingFetch, HttpFailure, mapPineconeError, retryDelayMs, withRetry } from './pinecone-errors.js';

const API_KEY = 'pcsk_test_SECRET_0123456789';

interface Scripted {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A loopback server answering each request with the next scripted response (then 200 describe). */
let script: Scripted[] = [];
let requests = 0;
let server: Server;
let url = '';

const indexModel = {
  name: 'idx',
  dimension: 4,
  metric: 'cosine',
  host: 'localhost:1',
  spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
  status: { ready: true, state: 'Ready' },
  vector_type: 'dense',
};

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    req.resume();
    const next = script.shift() ?? { status: 200, body: indexModel };
    res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
    res.end(JSON.stringify(next.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function client(): Pinecone {
  return new Pinecone({ apiKey: API_KEY, controllerHostUrl: url, fetchApi: failingFetch(), maxRetries: 0 });
}

async function run(script_: Scripted[], policy = { baseDelayMs: 1, maxDelayMs: 50 }, signal?: AbortSignal) {
  script = script_;
  requests = 0;
  const pc = client();
  return withRetry('describe index', () => pc.describeIndex('idx'), {
    policy,
    apiKey: API_KEY,
    ...(signal && { signal }),
  });
}

describe('errors and retries through the official client', () => {
  it('retries 429 and 503 and then answers; the client itself sent each attempt', async () => {
    const model = await run([
      {
        status: 429,
        body: { error: { code: 'TOO_MANY_REQUESTS', message: 'slow down' } },
        headers: { 'retry-after': '0' },
      },
      { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'try later' } } },
    ]);
    expect(model.name).toBe('idx');
    expect(requests).toBe(3);
  });

  it('403 QUOTA_EXCEEDED is not retried and names the quota', async () => {
    const quota = 'Request failed. You have reached the max serverless indexes allowed in project (5).';
    const error = await run([
      { status: 403, body: { error: { code: 'QUOTA_EXCEEDED', message: quota }, status: 403 } },
    ]).catch((e: unknown) => e);
    expect(isQStoreError(error) && error.code).toBe('CAPACITY');
    expect(isQStoreError(error) && error.retryable).toBe(false);
    expect((error as Error).message).toContain('max serverless indexes allowed in project (5)');
    expect(requests).toBe(1);
  });

  it('5xx stops after maxRetries with a retryable ServiceError carrying the status', async () => {
    const failing = { status: 500, body: { code: 13, message: 'internal' } };
    script = [failing, failing, failing, failing];
    requests = 0;
    const pc = client();
    const error = await withRetry('describe index', () => pc.describeIndex('idx'), {
      policy: { maxRetries: 2, baseDelayMs: 1 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).status).toBe(500);
    expect(requests).toBe(3);
  });

  it('400 and 404 become ValidationError and NotFoundError without a retry', async () => {
    const bad = await run([
      { status: 400, body: { code: 3, message: 'Vector dimension 3 does not match the dimension of the index 4' } },
    ]).catch((e: unknown) => e);
    expect(isQStoreError(bad) && bad.code).toBe('VALIDATION');
    expect((bad as Error).message).toContain('does not match the dimension of the index 4');
    expect(requests).toBe(1);
    const missing = await run([
      { status: 404, body: { error: { code: 'NOT_FOUND', message: 'Resource idx not found' } } },
    ]).catch((e: unknown) => e);
    expect(isQStoreError(missing) && missing.code).toBe('NOT_FOUND');
  });

  it('the API key never appears in the error, its cause chain or util.inspect, even when the service echoes it', async () => {
    const error = await run([
      { status: 401, body: { error: { code: 'UNAUTHENTICATED', message: `Invalid API Key ${API_KEY}` } } },
    ]).catch((e: unknown) => e);
    expect(isQStoreError(error) && error.code).toBe('AUTHENTICATION');
    expect(inspect(error, { depth: 10 })).not.toContain(API_KEY);
    expect(JSON.stringify(error)).not.toContain(API_KEY);
  });

  it('an abort during a Retry-After wait answers at once with AbortError', async () => {
    const controller = new AbortController();
    requests = 0;
    // Abort once the 429 has been answered (so the wait has begun), however slow the machine is.
    const poll = setInterval(() => {
      if (requests >= 1) {
        clearInterval(poll);
        setTimeout(() => controller.abort(), 20);
      }
    }, 2);
    const started = Date.now();
    const error = await run(
      [{ status: 429, body: { error: { message: 'wait' } }, headers: { 'retry-after': '30' } }],
      { baseDelayMs: 1, maxDelayMs: 60_000 },
      controller.signal,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(requests).toBe(1);
  });
});

describe('retry delay rule', () => {
  it('honours Retry-After (seconds or HTTP date), capped at maxDelayMs', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), () => 4_000)).toBe(6_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    const limited = new RateLimitedError('x', 1500);
    expect(retryDelayMs(limited, 3, { random: () => 0.99 })).toBe(1500);
    expect(retryDelayMs(new RateLimitedError('x', 90_000), 0)).toBe(20_000);
  });

  it('backoff is equal jitter: between b/2 and b with b = base·2^attempt', () => {
    const e = new ServiceError('x', 503);
    expect(retryDelayMs(e, 0, { baseDelayMs: 100, random: () => 0 })).toBe(50);
    expect(retryDelayMs(e, 3, { baseDelayMs: 100, random: () => 0.999999 })).toBeCloseTo(800, 2);
    expect(retryDelayMs(e, 20, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 })).toBe(750);
  });

  it('maps a bare HttpFailure too', () => {
    expect(mapPineconeError(new HttpFailure(502, undefined, 'bad gateway', undefined), 'query').retryable).toBe(true);
    expect(mapPineconeError(new HttpFailure(409, 'ALREADY_EXISTS', 'exists', undefined), 'create index').code).toBe(
      'CONFLICT',
    );
  });
});
