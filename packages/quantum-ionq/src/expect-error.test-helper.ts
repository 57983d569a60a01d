import { isQStoreError, type QStoreError } from '@q-store/core';
import { expect } from 'vitest';

/** The q-store error a call rejects with (fails the test when it resolves or throws something else). */
export async function failure(run: () => Promise<unknown>): Promise<QStoreError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isQStoreError(error), String(error)).toBe(true);
  return error as QStoreError;
}
