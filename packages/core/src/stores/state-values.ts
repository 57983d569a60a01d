import { redactSecrets, ValidationError } from '../shared/errors.js';

/**
 * The JSON text a StateStore keeps for a document, or a ValidationError naming `field` when the
 * value has none (`undefined`, a function, a symbol, a BigInt, a cycle). Shared by the stores so
 * each refuses the same values before writing.
 */
export function encodeStateValue(value: unknown, field = 'value'): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError(
      [{ field, message: `must be JSON: ${redactSecrets(error instanceof Error ? error.message : String(error))}` }],
      'Invalid document',
    );
  }
  if (text === undefined) {
    throw new ValidationError([{ field, message: `must be a JSON value, got ${typeof value}` }], 'Invalid document');
  }
  return text;
}
