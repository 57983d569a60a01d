import { DimensionMismatchError, IssueCollector, ValidationError } from '../shared/errors.js';
import { isPlainObject } from '../vector/validation.js';

/**
 * Input checks every public QuantumDatabase method runs before any work: the params object itself
 * and the type of each option, each failure a VALIDATION error naming the field.
 */

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export interface OptionSpec {
  /** Options that must be booleans when given. */
  flags?: readonly string[];
  /** Options that must be functions when given. */
  functions?: readonly string[];
  /** Options that must be plain objects when given. */
  objects?: readonly string[];
  /** Options that must be strings when given. */
  strings?: readonly string[];
}

/**
 * Checks that `params` is a plain object (`field`, default `params`, when it is missing or not an
 * object) and that its `signal` is an AbortSignal, its `namespace` a string, and the options the
 * spec lists have their types. Throws one ValidationError with every problem.
 */
export function checkParams<T extends object>(
  params: T | null | undefined,
  summary: string,
  spec: OptionSpec = {},
  field = 'params',
): T {
  const issues = new IssueCollector();
  if (!isPlainObject(params)) {
    issues.add(field, `must be an object of parameters, got ${describe(params)}`);
    issues.throwIfAny(summary);
  }
  const record = params as Record<string, unknown>;
  const at = (name: string) => (field === 'params' ? name : `${field}.${name}`);
  const signal = record.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    issues.add(at('signal'), `must be an AbortSignal, got ${describe(signal)}`);
  }
  for (const name of ['namespace', ...(spec.strings ?? [])]) {
    const value = record[name];
    if (value !== undefined && typeof value !== 'string')
      issues.add(at(name), `must be a string, got ${describe(value)}`);
  }
  for (const name of spec.flags ?? []) {
    const value = record[name];
    if (value !== undefined && typeof value !== 'boolean') {
      issues.add(at(name), `must be true or false, got ${describe(value)}`);
    }
  }
  for (const name of spec.functions ?? []) {
    const value = record[name];
    if (value !== undefined && typeof value !== 'function') {
      issues.add(at(name), `must be a function, got ${describe(value)}`);
    }
  }
  for (const name of spec.objects ?? []) {
    const value = record[name];
    if (value !== undefined && !isPlainObject(value)) issues.add(at(name), `must be an object, got ${describe(value)}`);
  }
  issues.throwIfAny(summary);
  return params as T;
}

/** `options` of a `(id, options?)` method: absent, or an object checked like params. */
export function checkOptions<T extends object>(options: T | undefined, summary: string, spec: OptionSpec = {}): T {
  if (options === undefined) return {} as T;
  return checkParams(options, summary, spec, 'options');
}

/**
 * Runs one check, adding the issues of its ValidationError to `issues` (so that one error lists
 * every problem) and returning undefined; any other error, DIMENSION_MISMATCH included, is
 * rethrown as it is, keeping its code.
 */
export function collectIssues<T>(issues: IssueCollector, check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    if (error instanceof DimensionMismatchError || !(error instanceof ValidationError)) throw error;
    for (const issue of error.issues) issues.add(issue.field, issue.message, issue.limit);
    return undefined;
  }
}
