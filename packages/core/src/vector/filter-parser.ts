/**
 * Turns the surface filter syntax (see `filter-types.ts`) into the validated {@link FilterNode} AST
 * that backends compile, collecting every problem before throwing.
 */

import { FilterValidationError, IssueCollector } from '../shared/errors.js';
import {
  FILTER_MAX_DEPTH,
  FILTER_MAX_IN_VALUES,
  FILTER_OPERATORS,
  type FieldNode,
  type FilterNode,
  type FilterOperator,
  type FilterScalar,
  type RangeOperator,
} from './filter-types.js';
import { isPlainObject, MAX_METADATA_KEY_LENGTH, METADATA_KEY_PATTERN, textProblem } from './validation.js';

/** Longest user key copied into an issue path or message. */
const MAX_KEY_IN_PATH = 80;

/** Operators that combine whole filters. */
const LOGICAL_OPERATORS: readonly FilterOperator[] = ['$and', '$or', '$not'];
/** Operators allowed under a key (`$not` negates a condition there). */
const KEY_OPERATORS: readonly FilterOperator[] = FILTER_OPERATORS.filter((op) => op !== '$and' && op !== '$or');
const PATH_SEGMENT = /^[$A-Za-z_][$A-Za-z0-9_-]*$/;

function shorten(text: string): string {
  return text.length > MAX_KEY_IN_PATH ? `${text.slice(0, MAX_KEY_IN_PATH)}…` : text;
}

function keyPath(path: string, key: string): string {
  return PATH_SEGMENT.test(key) ? `${path}.${shorten(key)}` : `${path}[${JSON.stringify(shorten(key))}]`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'number') return Number.isFinite(value) ? `number ${value}` : String(value);
  if (typeof value === 'string') return `string ${JSON.stringify(shorten(value))}`;
  if (typeof value === 'boolean') return `boolean ${value}`;
  if (typeof value === 'object') {
    if (isPlainObject(value)) return 'an object';
    const ctor: unknown = (value as { constructor?: unknown }).constructor;
    return typeof ctor === 'function' && ctor.name ? `a ${ctor.name}` : 'an object';
  }
  return typeof value;
}

function quoteList(ops: readonly string[]): string {
  return ops.join(', ');
}

/** Joins conditions with `and`/`or`: flattens children of the same type, leaves a single child unwrapped. */
function combine(type: 'and' | 'or', nodes: readonly FilterNode[]): FilterNode | undefined {
  const children: FilterNode[] = [];
  for (const node of nodes) {
    if (node.type === type) children.push(...node.children);
    else children.push(node);
  }
  if (children.length <= 1) return children[0];
  return { type, children };
}

function tooDeep(path: string, depth: number, issues: IssueCollector): boolean {
  if (depth <= FILTER_MAX_DEPTH) return false;
  issues.add(path, `nesting is deeper than the limit of ${FILTER_MAX_DEPTH} levels of $and/$or/$not`, FILTER_MAX_DEPTH);
  return true;
}

/** A string, boolean or finite number; anything else is an issue naming what was found. */
function checkScalar(value: unknown, path: string, issues: IssueCollector, bare: boolean): value is FilterScalar {
  if (typeof value === 'boolean') return true;
  if (typeof value === 'string') {
    const problem = textProblem(value);
    if (problem === undefined) return true;
    issues.add(path, problem);
    return false;
  }
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return true;
    issues.add(path, `must be a finite number, got ${describe(value)}`);
    return false;
  }
  const wanted = bare
    ? 'must be a string, number or boolean, or an object of operators'
    : 'needs a string, number or boolean';
  let hint = '';
  if (value === null) hint = ' (metadata never holds null; use {$exists: false} to match a missing key)';
  else if (Array.isArray(value)) hint = ' (use {$in: [...]} to match any of several values)';
  else if (typeof value === 'object') hint = ' (nested objects are not supported)';
  issues.add(path, `${wanted}, got ${describe(value)}${hint}`);
  return false;
}

function parseList(
  op: '$and' | '$or',
  value: unknown,
  path: string,
  depth: number,
  issues: IssueCollector,
): FilterNode | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    issues.add(path, `${op} needs a non-empty array of filters, got ${describe(value)}`, 1);
    return undefined;
  }
  const children: FilterNode[] = [];
  value.forEach((element: unknown, i) => {
    const child = parseFilterObject(element, `${path}[${i}]`, depth + 1, issues);
    if (child) children.push(child);
  });
  return combine(op === '$and' ? 'and' : 'or', children);
}

/** One filter object (`{key: condition, $and: […], …}`): the top level or an element of `$and`/`$or`/`$not`. */
function parseFilterObject(
  value: unknown,
  path: string,
  depth: number,
  issues: IssueCollector,
): FilterNode | undefined {
  if (tooDeep(path, depth, issues)) return undefined;
  if (!isPlainObject(value)) {
    issues.add(path, `must be a filter object, got ${describe(value)}`);
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) {
    issues.add(path, 'must not be an empty filter: a nested filter needs at least one condition', 1);
    return undefined;
  }
  const conjuncts: FilterNode[] = [];
  for (const key of keys) {
    const child = value[key];
    const childPath = keyPath(path, key);
    let node: FilterNode | undefined;
    if (key === '$and' || key === '$or') {
      node = parseList(key, child, childPath, depth, issues);
    } else if (key === '$not') {
      const inner = parseFilterObject(child, childPath, depth + 1, issues);
      node = inner && { type: 'not', child: inner };
    } else if (key.startsWith('$')) {
      if ((KEY_OPERATORS as readonly string[]).includes(key)) {
        issues.add(
          childPath,
          `operator '${key}' applies to a metadata key, not to a whole filter: write {key: {${key}: …}}`,
        );
      } else {
        issues.add(
          childPath,
          `unknown operator '${shorten(key)}'; a filter takes ${quoteList(LOGICAL_OPERATORS)} or metadata keys, ` +
            `and a key takes ${quoteList(KEY_OPERATORS)}`,
        );
      }
    } else {
      if (!METADATA_KEY_PATTERN.test(key)) {
        const tooLong = key.length > MAX_METADATA_KEY_LENGTH;
        issues.add(
          childPath,
          `key must match ${METADATA_KEY_PATTERN} (a letter or _, then letters, digits, _ or -, ` +
            `at most ${MAX_METADATA_KEY_LENGTH} characters)`,
          tooLong ? MAX_METADATA_KEY_LENGTH : undefined,
        );
      }
      node = parseCondition(key, child, childPath, depth, issues);
    }
    if (node) conjuncts.push(node);
  }
  return combine('and', conjuncts);
}

/** The condition on one key: a bare scalar (`$eq`) or an object of operators. */
function parseCondition(
  field: string,
  value: unknown,
  path: string,
  depth: number,
  issues: IssueCollector,
): FilterNode | undefined {
  if (tooDeep(path, depth, issues)) return undefined;
  if (!isPlainObject(value)) {
    return checkScalar(value, path, issues, true) ? { type: 'field', field, op: '$eq', value } : undefined;
  }
  const ops = Object.keys(value);
  if (ops.length === 0) {
    issues.add(path, `needs at least one operator (${quoteList(KEY_OPERATORS)}), got an empty object`, 1);
    return undefined;
  }
  if (!ops.some((op) => op.startsWith('$'))) {
    issues.add(
      path,
      `must be a string, number or boolean, or an object of operators, got an object without operators ` +
        `(nested objects are not supported)`,
    );
    return undefined;
  }
  const nodes: FilterNode[] = [];
  for (const op of ops) {
    const node = parseOperator(field, op, value[op], keyPath(path, op), depth, issues);
    if (node) nodes.push(node);
  }
  return combine('and', nodes);
}

function parseOperator(
  field: string,
  op: string,
  operand: unknown,
  path: string,
  depth: number,
  issues: IssueCollector,
): FilterNode | undefined {
  switch (op) {
    case '$eq':
    case '$ne':
      return checkScalar(operand, path, issues, false) ? { type: 'field', field, op, value: operand } : undefined;
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      if (typeof operand === 'number' && Number.isFinite(operand)) {
        return { type: 'field', field, op: op as RangeOperator, value: operand };
      }
      issues.add(path, `${op} needs a finite number, got ${describe(operand)}`);
      return undefined;
    case '$in':
    case '$nin':
      return parseSet(field, op, operand, path, issues);
    case '$exists':
      if (typeof operand === 'boolean') return { type: 'field', field, op, value: operand };
      issues.add(path, `$exists needs true or false, got ${describe(operand)}`);
      return undefined;
    case '$not': {
      const inner = parseCondition(field, operand, path, depth + 1, issues);
      return inner && { type: 'not', child: inner };
    }
    case '$and':
    case '$or':
      issues.add(
        path,
        `operator '${op}' combines whole filters and is not allowed under a key: write {${op}: [{key: …}, …]}`,
      );
      return undefined;
    default:
      if (op.startsWith('$')) {
        issues.add(path, `unknown operator '${shorten(op)}'; known operators under a key: ${quoteList(KEY_OPERATORS)}`);
      } else {
        issues.add(
          path,
          `'${shorten(op)}' is not an operator; a key's condition object holds only ${quoteList(KEY_OPERATORS)} ` +
            `(nested objects are not supported)`,
        );
      }
      return undefined;
  }
}

function parseSet(
  field: string,
  op: '$in' | '$nin',
  operand: unknown,
  path: string,
  issues: IssueCollector,
): FieldNode | undefined {
  if (!Array.isArray(operand)) {
    issues.add(
      path,
      `${op} needs an array of at most ${FILTER_MAX_IN_VALUES} strings, numbers or booleans, got ${describe(operand)}`,
      FILTER_MAX_IN_VALUES,
    );
    return undefined;
  }
  let ok = true;
  if (operand.length > FILTER_MAX_IN_VALUES) {
    issues.add(
      path,
      `${op} has ${operand.length} values, more than the limit of ${FILTER_MAX_IN_VALUES}`,
      FILTER_MAX_IN_VALUES,
    );
    ok = false;
  }
  const values: FilterScalar[] = [];
  operand.forEach((element: unknown, i) => {
    if (checkScalar(element, `${path}[${i}]`, issues, false)) values.push(element);
    else ok = false;
  });
  return ok ? { type: 'field', field, op, value: values } : undefined;
}

/**
 * Validates a filter in the surface syntax and converts it to the {@link FilterNode} AST.
 *
 * `undefined` and `{}` mean "no filter" and return `undefined`. Anything else must be a plain
 * object; every problem (up to 100) is collected and thrown at once as a
 * {@link FilterValidationError} whose issues carry paths such as `filter.$or[1].price.$gt`.
 *
 * Shape of the result: a bare scalar becomes `$eq`; several keys, several operators under one key,
 * and `$and` mixed with keys become one `and` node; `and` inside `and` and `or` inside `or` are
 * flattened, and a single child is never wrapped. Top-level `$not` and a key's `$not` become `not`
 * nodes. Children keep the order of the keys in the input.
 */
export function parseFilter(filter: unknown): FilterNode | undefined {
  if (filter === undefined) return undefined;
  if (isPlainObject(filter) && Object.keys(filter).length === 0) return undefined;
  const issues = new IssueCollector();
  const node = parseFilterObject(filter, 'filter', 0, issues);
  issues.throwIfAny('Invalid filter', (list) => new FilterValidationError(list));
  return node;
}

/**
 * Every operator the AST uses: field nodes by their `op`, `and` as `$and` (including the implicit
 * `$and` of several keys or operators), `or` as `$or`, `not` as `$not`. Backends compare this with
 * their `filterOperators` capability.
 */
export function collectOperators(node: FilterNode | undefined): Set<FilterOperator> {
  const ops = new Set<FilterOperator>();
  const visit = (n: FilterNode): void => {
    switch (n.type) {
      case 'and':
      case 'or':
        ops.add(n.type === 'and' ? '$and' : '$or');
        n.children.forEach(visit);
        return;
      case 'not':
        ops.add('$not');
        visit(n.child);
        return;
      case 'field':
        ops.add(n.op);
        return;
    }
  };
  if (node) visit(node);
  return ops;
}

/** The metadata keys a filter reads, in the order they first appear. */
export function filterFields(node: FilterNode | undefined): Set<string> {
  const fields = new Set<string>();
  const visit = (n: FilterNode): void => {
    if (n.type === 'field') fields.add(n.field);
    else if (n.type === 'not') visit(n.child);
    else n.children.forEach(visit);
  };
  if (node) visit(node);
  return fields;
}
