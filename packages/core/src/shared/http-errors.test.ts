import { describe, expect, it } from 'vitest';
import { errorFromHttpStatus, parseRetryAfter } from '../backend.js';

describe('errorFromHttpStatus', () => {
  const cases: Array<[number, string, boolean]> = [
    [400, 'VALIDATION', false],
    [422, 'VALIDATION', false],
    [401, 'AUTHENTICATION', false],
    [403, 'AUTHENTICATION', false],
    [404, 'NOT_FOUND', false],
    [409, 'CONFLICT', false],
    [429, 'RATE_LIMITED', true],
    [500, 'SERVICE', true],
    [503, 'SERVICE', true],
    [418, 'SERVICE', false],
  ];
  for (const [status, code, retryable] of cases) {
    it(`maps ${status} to ${code} (retryable: ${retryable})`, () => {
      const error = errorFromHttpStatus({ status, operation: "upsert into 'docs'", detail: 'nope' });
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(retryable);
    });
  }

  it('a quota answer is CAPACITY whatever the status', () => {
    expect(errorFromHttpStatus({ status: 403, operation: 'create index', quota: true }).code).toBe('CAPACITY');
    expect(errorFromHttpStatus({ status: 429, operation: 'create index', quota: true }).retryable).toBe(false);
  });

  it('429 carries Retry-After in milliseconds, from seconds or an HTTP date', () => {
    const seconds = errorFromHttpStatus({ status: 429, operation: 'query', retryAfter: '3' });
    expect((seconds as unknown as { retryAfterMs: number }).retryAfterMs).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', () => now)).toBe(5000);
    expect(parseRetryAfter('garbage')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('400 names the field the service named', () => {
    const error = errorFromHttpStatus({ status: 400, operation: 'upsert', detail: 'too big', field: 'vectors[3]' });
    expect(error.message).toContain('vectors[3]');
  });

  it('redacts a secret echoed in the service detail', () => {
    const error = errorFromHttpStatus({
      status: 500,
      operation: 'query',
      detail: 'bad url https://user:hunter2secret@db.example.com/x',
    });
    expect(error.message).not.toContain('hunter2secret');
  });
});
