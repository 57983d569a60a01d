import type { QStoreError, ValidationError } from '../shared/errors.js';

/**
 * True when a q-store error names `field`: an `issues[].field` equal to it or below it
 * (`field.x`, `field[0]`), or the field in the message. The kits' check of "the error names the field".
 */
export function namesField(error: QStoreError, field: string): boolean {
  const issues = (error as Partial<ValidationError>).issues;
  if (Array.isArray(issues)) {
    for (const issue of issues) {
      const f = (issue as { field?: unknown }).field;
      if (typeof f === 'string' && (f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`))) {
        return true;
      }
    }
  }
  return error.message.includes(field);
}
