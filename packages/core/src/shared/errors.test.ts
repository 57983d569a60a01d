import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  abortErrorFor,
  ConnectionError,
  isQStoreError,
  PartialWriteError,
  QStoreError,
  redactSecrets,
  ServiceError,
  ValidationError,
} from './errors.js';

describe('errors', () => {
  it('carry a stable code, retryable flag and a cross-copy marker', () => {
    const e = new ConnectionError('connect ECONNREFUSED 127.0.0.1:1');
    expect(e.code).toBe('CONNECTION');
    expect(e.retryable).toBe(true);
    expect(e).toBeInstanceOf(QStoreError);
    expect(isQStoreError(e)).toBe(true);
    // An error from another copy of the package has the same Symbol.for marker but another class.
    const foreign = Object.assign(new Error('x'), { [Symbol.for('q-store.error')]: true });
    expect(isQStoreError(foreign)).toBe(true);
    expect(isQStoreError(new Error('plain'))).toBe(false);
    expect(isQStoreError(null)).toBe(false);
  });

  it('mark 5xx service errors retryable and 4xx not', () => {
    expect(new ServiceError('boom', 503).retryable).toBe(true);
    expect(new ServiceError('bad', 400).retryable).toBe(false);
  });

  it('list every validation issue with its field in the message', () => {
    const e = new ValidationError([
      { field: 'records[0].id', message: 'must not be empty' },
      { field: 'topK', message: 'must be at most 10000', limit: 10000 },
    ]);
    expect(e.message).toContain('records[0].id');
    expect(e.message).toContain('topK');
    expect(e.field).toBe('records[0].id');
    expect(e.issues).toHaveLength(2);
  });

  it('partial writes report what landed and inherit retryability', () => {
    const e = new PartialWriteError(['a', 'b'], ['c'], new ServiceError('unavailable', 503));
    expect(e.landedIds).toEqual(['a', 'b']);
    expect(e.failedIds).toEqual(['c']);
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('2 records landed');
  });

  it.each([
    ['postgres://admin:hunter2@db.example.com:5432/app', 'hunter2'],
    ['redis://:s3cr3t@127.0.0.1:6379/0', 's3cr3t'],
    ['Authorization: apiKey abcdef123456', 'abcdef123456'],
    ['request failed {"api_key": "pc-9876543210"}', 'pc-9876543210'],
    ['https://api.example.com/v1?apikey=topsecret&x=1', 'topsecret'],
    ['password=letmein host=localhost', 'letmein'],
  ])('redact secrets from %s', (text, secret) => {
    const redacted = redactSecrets(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain('***');
    // Error messages pass through the same redaction.
    expect(new ConnectionError(`cannot reach ${text}`).message).not.toContain(secret);
  });

  it.each([
    ['postgres://user:p@ss@db.internal/app', 'p@ss'],
    ['postgres://u:pa/ss@h/app', 'pa/ss'],
    ['https://ghp_abcdef123456@github.com/org/repo', 'ghp_abcdef123456'],
    ['sent header Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', 'eyJhbGciOiJIUzI1NiJ9'],
    ['config password: "two words" here', 'two words'],
    ["{'token': 'tok-123-456'}", 'tok-123-456'],
  ])('redacts the harder form %s', (text, secret) => {
    expect(redactSecrets(text)).not.toContain(secret);
  });

  it('redacts secrets in issue messages and in the cause chain', () => {
    const issues = new ValidationError([{ field: 'url', message: 'cannot parse postgres://admin:hunter2@db/app' }]);
    expect(issues.issues[0]?.message).not.toContain('hunter2');
    const driverError = Object.assign(new Error('password authentication failed: postgres://admin:hunter2@db/app'), {
      code: '28P01',
    });
    const wrapped = new ConnectionError('cannot connect', driverError);
    const printed = inspect(wrapped, { depth: 5 });
    expect(printed).not.toContain('hunter2');
    expect(printed).toContain('password authentication failed');
    expect((wrapped.cause as { code?: string }).code).toBe('28P01');
    // A cause without secrets is kept as the very same object.
    const plain = new Error('ECONNREFUSED');
    expect(new ConnectionError('x', plain).cause).toBe(plain);
  });

  it('maps a timed-out signal to a retryable TIMEOUT and a plain abort to ABORTED', async () => {
    const timed = AbortSignal.timeout(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(abortErrorFor(timed)).toMatchObject({ code: 'TIMEOUT', retryable: true });
    const controller = new AbortController();
    controller.abort();
    expect(abortErrorFor(controller.signal)).toMatchObject({ code: 'ABORTED', retryable: false });
  });

  it('leaves text without secrets alone', () => {
    expect(redactSecrets('postgres://localhost:5432/app')).toBe('postgres://localhost:5432/app');
  });
});
