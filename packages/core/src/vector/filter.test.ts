import { describe, expect, it } from 'vitest';
import { FilterValidationError, isQStoreError, type ValidationIssue } from '../shared/errors.js';
import { evaluateFilter } from './filter-evaluator.js';
import { collectOperators, filterFields, parseFilter } from './filter-parser.js';
import { FILTER_MAX_DEPTH, FILTER_MAX_IN_VALUES, type FilterNode } from './filter-types.js';
import type { Metadata } from './types.js';

/** Parses a filter that must fail; checks the error class and code, returns the issues. */
function issuesOf(filter: unknown): readonly ValidationIssue[] {
  let caught: unknown;
  try {
    parseFilter(filter);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FilterValidationError);
  const error = caught as FilterValidationError;
  expect(error.code).toBe('INVALID_FILTER');
  expect(isQStoreError(error)).toBe(true);
  expect(error.issues.length).toBeGreaterThan(0);
  return error.issues;
}

/** The single issue of a filter with one mistake. */
function issueOf(filter: unknown): ValidationIssue {
  const issues = issuesOf(filter);
  expect(issues).toHaveLength(1);
  return issues[0] as ValidationIssue;
}

/** Wraps a filter in `depth` levels of `$and`. */
function nestAnd(inner: Record<string, unknown>, depth: number): Record<string, unknown> {
  let filter = inner;
  for (let i = 0; i < depth; i++) filter = { $and: [filter] };
  return filter;
}

/** Parses and evaluates in one go. */
function matches(filter: unknown, metadata: Metadata | undefined): boolean {
  return evaluateFilter(parseFilter(filter), metadata);
}

describe('parseFilter: no filter', () => {
  it('returns undefined for undefined and {}', () => {
    expect(parseFilter(undefined)).toBeUndefined();
    expect(parseFilter({})).toBeUndefined();
    expect(parseFilter(Object.create(null))).toBeUndefined();
  });
});

describe('parseFilter: syntax forms', () => {
  it('reads a bare scalar as $eq', () => {
    expect(parseFilter({ genre: 'drama' })).toEqual({ type: 'field', field: 'genre', op: '$eq', value: 'drama' });
    expect(parseFilter({ year: 2000 })).toEqual({ type: 'field', field: 'year', op: '$eq', value: 2000 });
    expect(parseFilter({ draft: false })).toEqual({ type: 'field', field: 'draft', op: '$eq', value: false });
    expect(parseFilter({ s: '' })).toEqual({ type: 'field', field: 's', op: '$eq', value: '' });
  });

  it('reads each field operator', () => {
    expect(parseFilter({ a: { $eq: 'x' } })).toEqual({ type: 'field', field: 'a', op: '$eq', value: 'x' });
    expect(parseFilter({ a: { $ne: true } })).toEqual({ type: 'field', field: 'a', op: '$ne', value: true });
    expect(parseFilter({ a: { $gt: 1 } })).toEqual({ type: 'field', field: 'a', op: '$gt', value: 1 });
    expect(parseFilter({ a: { $gte: -1.5 } })).toEqual({ type: 'field', field: 'a', op: '$gte', value: -1.5 });
    expect(parseFilter({ a: { $lt: 0 } })).toEqual({ type: 'field', field: 'a', op: '$lt', value: 0 });
    expect(parseFilter({ a: { $lte: 1e9 } })).toEqual({ type: 'field', field: 'a', op: '$lte', value: 1e9 });
    expect(parseFilter({ a: { $in: ['x', 1, true] } })).toEqual({
      type: 'field',
      field: 'a',
      op: '$in',
      value: ['x', 1, true],
    });
    expect(parseFilter({ a: { $nin: [] } })).toEqual({ type: 'field', field: 'a', op: '$nin', value: [] });
    expect(parseFilter({ a: { $in: [] } })).toEqual({ type: 'field', field: 'a', op: '$in', value: [] });
    expect(parseFilter({ a: { $exists: true } })).toEqual({ type: 'field', field: 'a', op: '$exists', value: true });
    expect(parseFilter({ a: { $exists: false } })).toEqual({ type: 'field', field: 'a', op: '$exists', value: false });
  });

  it('copies $in values instead of keeping the caller array', () => {
    const values = ['x', 'y'];
    const node = parseFilter({ a: { $in: values } }) as Extract<FilterNode, { op: '$in' | '$nin' }>;
    values.push('z');
    expect(node.value).toEqual(['x', 'y']);
  });

  it('ANDs several operators on one key, in key order', () => {
    expect(parseFilter({ year: { $gte: 2000, $lt: 2010 } })).toEqual({
      type: 'and',
      children: [
        { type: 'field', field: 'year', op: '$gte', value: 2000 },
        { type: 'field', field: 'year', op: '$lt', value: 2010 },
      ],
    });
  });

  it('ANDs several keys, in key order', () => {
    expect(parseFilter({ genre: 'drama', year: { $gt: 2000 } })).toEqual({
      type: 'and',
      children: [
        { type: 'field', field: 'genre', op: '$eq', value: 'drama' },
        { type: 'field', field: 'year', op: '$gt', value: 2000 },
      ],
    });
  });

  it('flattens several operators on one key into the AND of several keys', () => {
    expect(parseFilter({ genre: 'drama', year: { $gte: 2000, $lt: 2010 } })).toEqual({
      type: 'and',
      children: [
        { type: 'field', field: 'genre', op: '$eq', value: 'drama' },
        { type: 'field', field: 'year', op: '$gte', value: 2000 },
        { type: 'field', field: 'year', op: '$lt', value: 2010 },
      ],
    });
  });

  it('reads $or and $and', () => {
    expect(parseFilter({ $or: [{ genre: 'drama' }, { tags: { $in: ['x', 'y'] } }] })).toEqual({
      type: 'or',
      children: [
        { type: 'field', field: 'genre', op: '$eq', value: 'drama' },
        { type: 'field', field: 'tags', op: '$in', value: ['x', 'y'] },
      ],
    });
    expect(parseFilter({ $and: [{ a: 1 }, { b: 2 }] })).toEqual({
      type: 'and',
      children: [
        { type: 'field', field: 'a', op: '$eq', value: 1 },
        { type: 'field', field: 'b', op: '$eq', value: 2 },
      ],
    });
  });

  it('does not wrap a single child', () => {
    expect(parseFilter({ $and: [{ a: 1 }] })).toEqual({ type: 'field', field: 'a', op: '$eq', value: 1 });
    expect(parseFilter({ $or: [{ a: 1 }] })).toEqual({ type: 'field', field: 'a', op: '$eq', value: 1 });
    expect(parseFilter({ a: { $gt: 1 } })).toEqual({ type: 'field', field: 'a', op: '$gt', value: 1 });
  });

  it('keeps an $or of several keys inside as an AND', () => {
    expect(parseFilter({ $or: [{ a: 1, b: 2 }, { c: 3 }] })).toEqual({
      type: 'or',
      children: [
        {
          type: 'and',
          children: [
            { type: 'field', field: 'a', op: '$eq', value: 1 },
            { type: 'field', field: 'b', op: '$eq', value: 2 },
          ],
        },
        { type: 'field', field: 'c', op: '$eq', value: 3 },
      ],
    });
  });

  it('flattens and-in-and and or-in-or', () => {
    expect(parseFilter({ $and: [{ $and: [{ a: 1 }, { b: 2 }] }, { c: 3 }] })).toEqual({
      type: 'and',
      children: [
        { type: 'field', field: 'a', op: '$eq', value: 1 },
        { type: 'field', field: 'b', op: '$eq', value: 2 },
        { type: 'field', field: 'c', op: '$eq', value: 3 },
      ],
    });
    expect(parseFilter({ $or: [{ a: 1 }, { $or: [{ b: 2 }, { c: 3 }] }] })).toEqual({
      type: 'or',
      children: [
        { type: 'field', field: 'a', op: '$eq', value: 1 },
        { type: 'field', field: 'b', op: '$eq', value: 2 },
        { type: 'field', field: 'c', op: '$eq', value: 3 },
      ],
    });
  });

  it('ANDs $and mixed with plain keys at one level, in key order', () => {
    expect(parseFilter({ a: 1, $and: [{ b: 2 }, { c: 3 }], d: 4 })).toEqual({
      type: 'and',
      children: [
        { type: 'field', field: 'a', op: '$eq', value: 1 },
        { type: 'field', field: 'b', op: '$eq', value: 2 },
        { type: 'field', field: 'c', op: '$eq', value: 3 },
        { type: 'field', field: 'd', op: '$eq', value: 4 },
      ],
    });
    expect(parseFilter({ a: 1, $or: [{ b: 2 }, { c: 3 }] })).toEqual({
      type: 'and',
      children: [
        { type: 'field', field: 'a', op: '$eq', value: 1 },
        {
          type: 'or',
          children: [
            { type: 'field', field: 'b', op: '$eq', value: 2 },
            { type: 'field', field: 'c', op: '$eq', value: 3 },
          ],
        },
      ],
    });
  });

  it('reads a top-level $not', () => {
    expect(parseFilter({ $not: { genre: 'drama' } })).toEqual({
      type: 'not',
      child: { type: 'field', field: 'genre', op: '$eq', value: 'drama' },
    });
    expect(parseFilter({ $not: { a: 1, b: 2 } })).toEqual({
      type: 'not',
      child: {
        type: 'and',
        children: [
          { type: 'field', field: 'a', op: '$eq', value: 1 },
          { type: 'field', field: 'b', op: '$eq', value: 2 },
        ],
      },
    });
    expect(parseFilter({ $not: { $not: { a: 1 } } })).toEqual({
      type: 'not',
      child: { type: 'not', child: { type: 'field', field: 'a', op: '$eq', value: 1 } },
    });
  });

  it("reads a key's $not, with operators or a bare scalar", () => {
    expect(parseFilter({ year: { $not: { $gt: 2000 } } })).toEqual({
      type: 'not',
      child: { type: 'field', field: 'year', op: '$gt', value: 2000 },
    });
    expect(parseFilter({ year: { $not: 2000 } })).toEqual({
      type: 'not',
      child: { type: 'field', field: 'year', op: '$eq', value: 2000 },
    });
    expect(parseFilter({ year: { $not: { $gte: 2000, $lt: 2010 } } })).toEqual({
      type: 'not',
      child: {
        type: 'and',
        children: [
          { type: 'field', field: 'year', op: '$gte', value: 2000 },
          { type: 'field', field: 'year', op: '$lt', value: 2010 },
        ],
      },
    });
    expect(parseFilter({ year: { $gt: 1990, $not: { $in: [1995, 1996] } } })).toEqual({
      type: 'and',
      children: [
        { type: 'field', field: 'year', op: '$gt', value: 1990 },
        { type: 'not', child: { type: 'field', field: 'year', op: '$in', value: [1995, 1996] } },
      ],
    });
  });

  it('accepts keys at the edge of the key pattern', () => {
    const longest = `k${'x'.repeat(63)}`;
    expect(parseFilter({ [longest]: 1 })).toEqual({ type: 'field', field: longest, op: '$eq', value: 1 });
    expect(parseFilter({ _a: 1 })).toEqual({ type: 'field', field: '_a', op: '$eq', value: 1 });
    expect(parseFilter({ 'a-b_9': 1 })).toEqual({ type: 'field', field: 'a-b_9', op: '$eq', value: 1 });
    expect(parseFilter({ __proto__x: 1 })).toEqual({ type: 'field', field: '__proto__x', op: '$eq', value: 1 });
  });

  it(`accepts exactly ${FILTER_MAX_DEPTH} levels of nesting`, () => {
    expect(parseFilter(nestAnd({ a: 1 }, FILTER_MAX_DEPTH))).toEqual({
      type: 'field',
      field: 'a',
      op: '$eq',
      value: 1,
    });
    let notFilter: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < FILTER_MAX_DEPTH; i++) notFilter = { $not: notFilter };
    let expected: FilterNode = { type: 'field', field: 'a', op: '$eq', value: 1 };
    for (let i = 0; i < FILTER_MAX_DEPTH; i++) expected = { type: 'not', child: expected };
    expect(parseFilter(notFilter)).toEqual(expected);
  });

  it(`accepts exactly ${FILTER_MAX_IN_VALUES} $in values`, () => {
    const values = Array.from({ length: FILTER_MAX_IN_VALUES }, (_, i) => i);
    expect(parseFilter({ a: { $in: values } })).toEqual({ type: 'field', field: 'a', op: '$in', value: values });
  });
});

describe('parseFilter: errors', () => {
  it('rejects a filter that is not a plain object', () => {
    for (const bad of [null, [], [{ a: 1 }], 'genre', 1, true, new Date(0), new Map()]) {
      const issue = issueOf(bad);
      expect(issue.field).toBe('filter');
      expect(issue.message).toMatch(/must be a filter object/);
    }
    expect(issueOf(null).message).toMatch(/got null/);
    expect(issueOf([]).message).toMatch(/got an empty array/);
    expect(issueOf({ $or: [] }).message).toMatch(/non-empty array of filters, got an empty array/);
    expect(issueOf(new Date(0)).message).toMatch(/got a Date/);
  });

  it('rejects unknown operators and lists the known ones', () => {
    const top = issueOf({ $regex: 'a.*' });
    expect(top.field).toBe('filter.$regex');
    expect(top.message).toMatch(/unknown operator '\$regex'/);
    expect(top.message).toContain('$and, $or, $not');

    const field = issueOf({ name: { $regex: 'a.*' } });
    expect(field.field).toBe('filter.name.$regex');
    expect(field.message).toMatch(/unknown operator '\$regex'/);
    expect(field.message).toContain('$eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $not');
  });

  it('rejects operators at the wrong level', () => {
    const gt = issueOf({ $gt: 5 });
    expect(gt.field).toBe('filter.$gt');
    expect(gt.message).toMatch(/applies to a metadata key/);
    expect(issueOf({ $in: [1] }).field).toBe('filter.$in');
    expect(issueOf({ $exists: true }).field).toBe('filter.$exists');

    const and = issueOf({ price: { $and: [{ $gt: 1 }] } });
    expect(and.field).toBe('filter.price.$and');
    expect(and.message).toMatch(/not allowed under a key/);
    expect(issueOf({ price: { $or: [{ $gt: 1 }] } }).field).toBe('filter.price.$or');
  });

  it('rejects range operands that are not finite numbers', () => {
    for (const op of ['$gt', '$gte', '$lt', '$lte']) {
      for (const bad of ['5', true, null, [5], { n: 5 }, Number.NaN, Infinity, -Infinity, undefined, 5n]) {
        const issue = issueOf({ price: { [op]: bad } });
        expect(issue.field).toBe(`filter.price.${op}`);
        expect(issue.message).toContain(`${op} needs a finite number`);
      }
    }
    expect(issueOf({ price: { $gt: '5' } }).message).toContain('got string "5"');
    expect(issueOf({ price: { $gt: Number.NaN } }).message).toContain('got NaN');
    expect(issueOf({ price: { $lt: -Infinity } }).message).toContain('got -Infinity');
  });

  it('rejects $eq/$ne operands that are not scalars, and NaN/Infinity', () => {
    for (const op of ['$eq', '$ne']) {
      for (const bad of [null, ['a'], { a: 1 }, Number.NaN, Infinity, undefined]) {
        expect(issueOf({ a: { [op]: bad } }).field).toBe(`filter.a.${op}`);
      }
    }
    expect(issueOf({ a: { $eq: null } }).message).toMatch(/\$exists: false/);
    expect(issueOf({ a: { $eq: ['x'] } }).message).toMatch(/\$in/);
    expect(issueOf({ a: { $ne: Infinity } }).message).toMatch(/finite number, got Infinity/);
  });

  it('rejects bare values that are not scalars', () => {
    const nul = issueOf({ a: null });
    expect(nul.field).toBe('filter.a');
    expect(nul.message).toMatch(/got null/);
    expect(issueOf({ a: ['x', 'y'] }).message).toMatch(/got an array.*\$in/);
    expect(issueOf({ a: { b: 1 } }).message).toMatch(/nested objects are not supported/);
    expect(issueOf({ a: undefined }).message).toMatch(/got undefined/);
    expect(issueOf({ a: Number.NaN }).message).toMatch(/finite number, got NaN/);
    expect(issueOf({ a: -Infinity }).message).toMatch(/finite number, got -Infinity/);
    expect(issueOf({ a: new Date(0) }).message).toMatch(/got a Date/);
    expect(issueOf({ a: () => 1 }).message).toMatch(/got function/);
  });

  it('rejects an empty condition object and non-operator keys beside operators', () => {
    const empty = issueOf({ price: {} });
    expect(empty.field).toBe('filter.price');
    expect(empty.message).toMatch(/at least one operator/);

    const mixed = issueOf({ price: { $gt: 1, lt: 5 } });
    expect(mixed.field).toBe('filter.price.lt');
    expect(mixed.message).toMatch(/'lt' is not an operator/);
  });

  it('rejects $in/$nin that are not arrays of scalars', () => {
    for (const op of ['$in', '$nin']) {
      const notArray = issueOf({ tags: { [op]: 'x' } });
      expect(notArray.field).toBe(`filter.tags.${op}`);
      expect(notArray.message).toContain(`${op} needs an array of at most ${FILTER_MAX_IN_VALUES}`);
      expect(notArray.limit).toBe(FILTER_MAX_IN_VALUES);

      const issues = issuesOf({ tags: { [op]: ['ok', null, 1, { a: 1 }, Number.NaN, ['x'], true] } });
      expect(issues.map((i) => i.field)).toEqual([
        `filter.tags.${op}[1]`,
        `filter.tags.${op}[3]`,
        `filter.tags.${op}[4]`,
        `filter.tags.${op}[5]`,
      ]);
    }
  });

  it(`rejects more than ${FILTER_MAX_IN_VALUES} $in/$nin values`, () => {
    for (const op of ['$in', '$nin']) {
      const values = Array.from({ length: FILTER_MAX_IN_VALUES + 1 }, (_, i) => `v${i}`);
      const issue = issueOf({ tags: { [op]: values } });
      expect(issue.field).toBe(`filter.tags.${op}`);
      expect(issue.limit).toBe(FILTER_MAX_IN_VALUES);
      expect(issue.message).toContain(
        `${FILTER_MAX_IN_VALUES + 1} values, more than the limit of ${FILTER_MAX_IN_VALUES}`,
      );
    }
  });

  it('rejects keys that do not match the key pattern', () => {
    for (const key of ['a.b', '', '1abc', 'a b', 'é', '-a']) {
      const issue = issueOf({ [key]: 1 });
      expect(issue.message).toMatch(/key must match/);
      expect(issue.limit).toBeUndefined();
    }
    expect(issueOf({ 'a.b': 1 }).field).toBe('filter["a.b"]');
    expect(issueOf({ '': 1 }).field).toBe('filter[""]');
    const tooLong = issueOf({ [`k${'x'.repeat(64)}`]: 1 });
    expect(tooLong.limit).toBe(64);
    expect(tooLong.message).toContain('at most 64 characters');
  });

  it('reports a bad key and a bad value under it separately', () => {
    const issues = issuesOf({ 'a.b': { $gt: 'x' } });
    expect(issues.map((i) => i.field)).toEqual(['filter["a.b"]', 'filter["a.b"].$gt']);
  });

  it('rejects $and/$or that are not non-empty arrays of filters', () => {
    for (const op of ['$and', '$or']) {
      for (const bad of [[], { a: 1 }, null, 'x', undefined]) {
        const issue = issueOf({ [op]: bad });
        expect(issue.field).toBe(`filter.${op}`);
        expect(issue.message).toContain(`${op} needs a non-empty array of filters`);
      }
      const elements = issuesOf({ [op]: [{ a: 1 }, null, [], 'x', {}] });
      expect(elements.map((i) => i.field)).toEqual([
        `filter.${op}[1]`,
        `filter.${op}[2]`,
        `filter.${op}[3]`,
        `filter.${op}[4]`,
      ]);
      expect(elements[3]?.message).toMatch(/must not be an empty filter/);
    }
  });

  it('rejects a top-level $not that is not a non-empty filter object', () => {
    for (const bad of [null, [], 'x', 1, undefined, {}]) {
      expect(issueOf({ $not: bad }).field).toBe('filter.$not');
    }
    expect(issueOf({ $not: [{ a: 1 }] }).message).toMatch(/must be a filter object, got an array/);
  });

  it("rejects a key's $not that is not a condition", () => {
    expect(issueOf({ a: { $not: null } }).field).toBe('filter.a.$not');
    expect(issueOf({ a: { $not: {} } }).message).toMatch(/at least one operator/);
    expect(issueOf({ a: { $not: { $regex: 'x' } } }).field).toBe('filter.a.$not.$regex');
    expect(issueOf({ a: { $not: { $and: [] } } }).field).toBe('filter.a.$not.$and');
  });

  it('rejects $exists that is not a boolean', () => {
    for (const bad of [1, 0, 'true', null, undefined]) {
      const issue = issueOf({ a: { $exists: bad } });
      expect(issue.field).toBe('filter.a.$exists');
      expect(issue.message).toMatch(/\$exists needs true or false/);
    }
  });

  it(`rejects nesting deeper than ${FILTER_MAX_DEPTH}`, () => {
    const and = issueOf(nestAnd({ a: 1 }, FILTER_MAX_DEPTH + 1));
    expect(and.field).toBe(`filter${'.$and[0]'.repeat(FILTER_MAX_DEPTH + 1)}`);
    expect(and.limit).toBe(FILTER_MAX_DEPTH);
    expect(and.message).toContain(`deeper than the limit of ${FILTER_MAX_DEPTH}`);

    let keyNot: unknown = 1;
    for (let i = 0; i < FILTER_MAX_DEPTH + 1; i++) keyNot = { $not: keyNot };
    const not = issueOf({ a: keyNot });
    expect(not.field).toBe(`filter.a${'.$not'.repeat(FILTER_MAX_DEPTH + 1)}`);
    expect(not.limit).toBe(FILTER_MAX_DEPTH);

    // Mixed: 9 $or levels, then a top-level $not, then a key's $not: 11 levels.
    let mixed: Record<string, unknown> = { $not: { a: { $not: 1 } } };
    for (let i = 0; i < FILTER_MAX_DEPTH - 1; i++) mixed = { $or: [mixed] };
    expect(issueOf(mixed).limit).toBe(FILTER_MAX_DEPTH);
  });

  it('survives a cyclic filter through the depth limit', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.$not = cyclic;
    expect(issueOf(cyclic).limit).toBe(FILTER_MAX_DEPTH);
  });

  it('reports every problem at once, with paths', () => {
    const issues = issuesOf({
      $or: [{ price: { $gt: '5' } }, { 'bad.key': 'x' }, { tags: { $regex: 'a' } }],
    });
    expect(issues.map((i) => i.field)).toEqual([
      'filter.$or[0].price.$gt',
      'filter.$or[1]["bad.key"]',
      'filter.$or[2].tags.$regex',
    ]);

    const many = issuesOf({
      a: null,
      b: { $gt: 1, $lt: Number.NaN, $in: 'x' },
      $and: [{ c: { $exists: 'yes' } }, {}],
      $not: { d: { $and: [] } },
      $gt: 5,
      e: { $nin: [1, null] },
    });
    expect(many.map((i) => i.field)).toEqual([
      'filter.a',
      'filter.b.$lt',
      'filter.b.$in',
      'filter.$and[0].c.$exists',
      'filter.$and[1]',
      'filter.$not.d.$and',
      'filter.$gt',
      'filter.e.$nin[1]',
    ]);
  });

  it('puts the paths and problems into the error message', () => {
    let caught: unknown;
    try {
      parseFilter({ $or: [{ price: { $gt: 'x' } }, { q: { $regex: 'a' } }] });
    } catch (error) {
      caught = error;
    }
    const message = (caught as Error).message;
    expect(message).toContain('Invalid filter');
    expect(message).toContain('filter.$or[0].price.$gt: $gt needs a finite number');
    expect(message).toContain("filter.$or[1].q.$regex: unknown operator '$regex'");
  });

  it('lists at most 100 issues, then says how many more there were', () => {
    const issues = issuesOf({ tags: { $in: Array.from({ length: 500 }, () => null) } });
    expect(issues).toHaveLength(101);
    expect(issues[99]?.field).toBe('filter.tags.$in[99]');
    expect(issues[100]).toEqual({ field: '(more)', message: '400 further problems were not listed' });
  });
});

describe('evaluateFilter', () => {
  it('matches everything without a filter', () => {
    expect(evaluateFilter(undefined, undefined)).toBe(true);
    expect(evaluateFilter(undefined, { a: 1 })).toBe(true);
    expect(matches({}, {})).toBe(true);
  });

  it('treats missing metadata as all keys missing', () => {
    expect(matches({ a: 1 }, undefined)).toBe(false);
    expect(matches({ a: { $ne: 1 } }, undefined)).toBe(true);
    expect(matches({ a: { $nin: [1] } }, undefined)).toBe(true);
    expect(matches({ a: { $exists: false } }, undefined)).toBe(true);
    expect(matches({ a: { $exists: true } }, undefined)).toBe(false);
    expect(matches({ a: { $gt: 0 } }, undefined)).toBe(false);
  });

  it('$eq: same value and same JSON type, no coercion', () => {
    expect(matches({ a: 'x' }, { a: 'x' })).toBe(true);
    expect(matches({ a: 'x' }, { a: 'y' })).toBe(false);
    expect(matches({ a: 1 }, { a: 1 })).toBe(true);
    expect(matches({ a: 1 }, { a: 1.5 })).toBe(false);
    expect(matches({ a: 1 }, { a: '1' })).toBe(false);
    expect(matches({ a: '1' }, { a: 1 })).toBe(false);
    expect(matches({ a: true }, { a: 'true' })).toBe(false);
    expect(matches({ a: 'true' }, { a: true })).toBe(false);
    expect(matches({ a: 1 }, { a: true })).toBe(false);
    expect(matches({ a: 0 }, { a: false })).toBe(false);
    expect(matches({ a: '' }, { a: false })).toBe(false);
    expect(matches({ a: false }, { a: false })).toBe(true);
    expect(matches({ a: 0 }, { a: -0 })).toBe(true);
    expect(matches({ a: 'x' }, {})).toBe(false);
    expect(matches({ a: 'x' }, { b: 'x' })).toBe(false);
    expect(matches({ a: { $eq: 'A' } }, { a: 'a' })).toBe(false);
  });

  it('$eq on a list field matches any element', () => {
    expect(matches({ tags: 'x' }, { tags: ['x', 'y'] })).toBe(true);
    expect(matches({ tags: 'y' }, { tags: ['x', 'y'] })).toBe(true);
    expect(matches({ tags: 'z' }, { tags: ['x', 'y'] })).toBe(false);
    expect(matches({ tags: 'x' }, { tags: [] })).toBe(false);
    expect(matches({ tags: 1 }, { tags: ['1'] })).toBe(false);
  });

  it('$ne is not-$eq: matches missing fields, other types and lists without the value', () => {
    expect(matches({ a: { $ne: 'x' } }, { a: 'x' })).toBe(false);
    expect(matches({ a: { $ne: 'x' } }, { a: 'y' })).toBe(true);
    expect(matches({ a: { $ne: 'x' } }, {})).toBe(true);
    expect(matches({ a: { $ne: 1 } }, { a: '1' })).toBe(true);
    expect(matches({ a: { $ne: true } }, { a: 'true' })).toBe(true);
    expect(matches({ tags: { $ne: 'x' } }, { tags: ['x', 'y'] })).toBe(false);
    expect(matches({ tags: { $ne: 'z' } }, { tags: ['x', 'y'] })).toBe(true);
    expect(matches({ tags: { $ne: 'x' } }, { tags: [] })).toBe(true);
  });

  it('ranges match numbers only', () => {
    const cases: Array<[string, number, boolean]> = [
      ['$gt', 4, true],
      ['$gt', 5, false],
      ['$gte', 5, true],
      ['$gte', 6, false],
      ['$lt', 6, true],
      ['$lt', 5, false],
      ['$lte', 5, true],
      ['$lte', 4, false],
    ];
    for (const [op, bound, expected] of cases) {
      expect(matches({ a: { [op]: bound } }, { a: 5 })).toBe(expected);
      expect(matches({ a: { [op]: bound } }, { a: '5' })).toBe(false);
      expect(matches({ a: { [op]: bound } }, { a: true })).toBe(false);
      expect(matches({ a: { [op]: bound } }, { a: ['5'] })).toBe(false);
      expect(matches({ a: { [op]: bound } }, {})).toBe(false);
    }
    expect(matches({ a: { $gt: 0 } }, { a: true })).toBe(false);
    expect(matches({ a: { $lt: 1 } }, { a: false })).toBe(false);
    expect(matches({ a: { $gte: 0.1 } }, { a: 0.1 })).toBe(true);
    expect(matches({ a: { $gt: -1, $lt: 1 } }, { a: 0 })).toBe(true);
    expect(matches({ a: { $gt: -1, $lt: 1 } }, { a: 1 })).toBe(false);
  });

  it('$in and $nin, including empty lists, list fields and strict types', () => {
    expect(matches({ a: { $in: ['x', 'y'] } }, { a: 'y' })).toBe(true);
    expect(matches({ a: { $in: ['x', 'y'] } }, { a: 'z' })).toBe(false);
    expect(matches({ a: { $in: [1, 2] } }, { a: '1' })).toBe(false);
    expect(matches({ a: { $in: ['true'] } }, { a: true })).toBe(false);
    expect(matches({ a: { $in: [true] } }, { a: true })).toBe(true);
    expect(matches({ a: { $in: ['x'] } }, {})).toBe(false);
    expect(matches({ a: { $in: [] } }, { a: 'x' })).toBe(false);
    expect(matches({ a: { $in: [] } }, {})).toBe(false);
    expect(matches({ tags: { $in: ['y', 'q'] } }, { tags: ['x', 'y'] })).toBe(true);
    expect(matches({ tags: { $in: ['q'] } }, { tags: ['x', 'y'] })).toBe(false);
    expect(matches({ tags: { $in: ['x'] } }, { tags: [] })).toBe(false);

    expect(matches({ a: { $nin: ['x', 'y'] } }, { a: 'y' })).toBe(false);
    expect(matches({ a: { $nin: ['x', 'y'] } }, { a: 'z' })).toBe(true);
    expect(matches({ a: { $nin: [1] } }, { a: '1' })).toBe(true);
    expect(matches({ a: { $nin: ['x'] } }, {})).toBe(true);
    expect(matches({ a: { $nin: [] } }, { a: 'x' })).toBe(true);
    expect(matches({ a: { $nin: [] } }, {})).toBe(true);
    expect(matches({ tags: { $nin: ['y', 'q'] } }, { tags: ['x', 'y'] })).toBe(false);
    expect(matches({ tags: { $nin: ['q'] } }, { tags: ['x', 'y'] })).toBe(true);
    expect(matches({ tags: { $nin: ['x'] } }, { tags: [] })).toBe(true);
  });

  it('$exists', () => {
    expect(matches({ a: { $exists: true } }, { a: 0 })).toBe(true);
    expect(matches({ a: { $exists: true } }, { a: false })).toBe(true);
    expect(matches({ a: { $exists: true } }, { a: '' })).toBe(true);
    expect(matches({ a: { $exists: true } }, { a: [] })).toBe(true);
    expect(matches({ a: { $exists: true } }, { b: 1 })).toBe(false);
    expect(matches({ a: { $exists: false } }, { b: 1 })).toBe(true);
    expect(matches({ a: { $exists: false } }, { a: 0 })).toBe(false);
  });

  it('only reads own keys: inherited names are absent', () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty']) {
      expect(matches({ [key]: { $exists: true } }, {})).toBe(false);
      expect(matches({ [key]: { $exists: false } }, {})).toBe(true);
      expect(matches({ [key]: { $ne: 'x' } }, {})).toBe(true);
    }
    const own = JSON.parse('{"constructor": 3}') as Metadata;
    expect(matches({ constructor: { $gt: 2 } }, own)).toBe(true);
    // `__proto__` cannot be a metadata key (a plain object would lose it), so no filter names it.
    expect(() => parseFilter({ ['__proto__']: 'p' })).toThrow(expect.objectContaining({ code: 'INVALID_FILTER' }));
  });

  it('treats an undefined value as an absent key', () => {
    const metadata = { a: undefined } as unknown as Metadata;
    expect(matches({ a: { $exists: false } }, metadata)).toBe(true);
    expect(matches({ a: { $ne: 1 } }, metadata)).toBe(true);
  });

  it('nested $and / $or / $not', () => {
    const filter = {
      $or: [{ $and: [{ genre: 'drama' }, { year: { $gte: 2000 } }] }, { $not: { tags: { $in: ['old', 'bad'] } } }],
    };
    expect(matches(filter, { genre: 'drama', year: 2001, tags: ['old'] })).toBe(true);
    expect(matches(filter, { genre: 'drama', year: 1999, tags: ['old'] })).toBe(false);
    expect(matches(filter, { genre: 'drama', year: 1999, tags: ['new'] })).toBe(true);
    expect(matches(filter, { genre: 'comedy', tags: ['bad', 'x'] })).toBe(false);
    expect(matches(filter, { genre: 'comedy' })).toBe(true);

    expect(matches({ a: 1, $or: [{ b: 1 }, { c: 1 }] }, { a: 1, c: 1 })).toBe(true);
    expect(matches({ a: 1, $or: [{ b: 1 }, { c: 1 }] }, { a: 2, c: 1 })).toBe(false);
    expect(matches({ $not: { $not: { a: 1 } } }, { a: 1 })).toBe(true);
    expect(matches({ $not: { a: 1, b: 2 } }, { a: 1 })).toBe(true);
    expect(matches({ $not: { a: 1, b: 2 } }, { a: 1, b: 2 })).toBe(false);
  });

  it("a key's $not negates its condition, matching missing fields", () => {
    expect(matches({ year: { $not: { $gt: 2000 } } }, { year: 1999 })).toBe(true);
    expect(matches({ year: { $not: { $gt: 2000 } } }, { year: 2001 })).toBe(false);
    expect(matches({ year: { $not: { $gt: 2000 } } }, {})).toBe(true);
    expect(matches({ year: { $not: { $gt: 2000 } } }, { year: '2001' })).toBe(true);
    expect(matches({ year: { $not: 2000 } }, { year: 2000 })).toBe(false);
    expect(matches({ tags: { $not: 'x' } }, { tags: ['x'] })).toBe(false);
    expect(matches({ year: { $not: { $gte: 2000, $lt: 2010 } } }, { year: 2005 })).toBe(false);
    expect(matches({ year: { $not: { $gte: 2000, $lt: 2010 } } }, { year: 2015 })).toBe(true);
  });
});

describe('evaluateFilter: identities over generated records', () => {
  const values: Array<Metadata[string] | undefined> = [
    undefined,
    0,
    1,
    2,
    -1.5,
    '1',
    'x',
    '',
    true,
    false,
    ['x'],
    ['1', 'y'],
    [],
  ];
  const records: Metadata[] = [];
  for (const a of values) {
    for (const b of values) {
      const record: Metadata = {};
      if (a !== undefined) record.a = a;
      if (b !== undefined) record.b = b;
      records.push(record);
    }
  }
  const atoms: Record<string, unknown>[] = [];
  for (const field of ['a', 'b']) {
    atoms.push({ [field]: 1 }, { [field]: 'x' }, { [field]: true }, { [field]: '1' });
    atoms.push({ [field]: { $ne: 'x' } }, { [field]: { $gt: 0 } }, { [field]: { $lte: 1 } });
    atoms.push({ [field]: { $in: ['x', 1, false] } }, { [field]: { $nin: ['y', 2] } }, { [field]: { $in: [] } });
    atoms.push({ [field]: { $exists: true } }, { [field]: { $not: { $gte: 1 } } });
  }
  const holds = (filter: unknown, record: Metadata): boolean => evaluateFilter(parseFilter(filter), record);

  it('has a varied sample', () => {
    expect(records).toHaveLength(values.length ** 2);
    for (const atom of atoms) {
      const results = new Set(records.map((r) => holds(atom, r)));
      const alwaysFalse = JSON.stringify(atom).includes('"$in":[]');
      expect(results.size, JSON.stringify(atom)).toBe(alwaysFalse ? 1 : 2);
    }
  });

  it('de Morgan: not(P and Q) = not P or not Q; not(P or Q) = not P and not Q', () => {
    // Each filter is parsed once and evaluated over all records; whole result vectors are compared.
    const results = (filter: unknown): boolean[] => {
      const node = parseFilter(filter);
      return records.map((record) => evaluateFilter(node, record));
    };
    const atomResults = atoms.map(results);
    let checked = 0;
    atoms.forEach((p, i) => {
      atoms.forEach((q, j) => {
        const rp = atomResults[i] as boolean[];
        const rq = atomResults[j] as boolean[];
        const label = JSON.stringify([p, q]);
        const notAnd = results({ $not: { $and: [p, q] } });
        expect(notAnd, label).toEqual(results({ $or: [{ $not: p }, { $not: q }] }));
        expect(notAnd, label).toEqual(rp.map((x, k) => !(x && rq[k])));
        const notOr = results({ $not: { $or: [p, q] } });
        expect(notOr, label).toEqual(results({ $and: [{ $not: p }, { $not: q }] }));
        expect(notOr, label).toEqual(rp.map((x, k) => !(x || rq[k])));
        checked++;
      });
    });
    expect(checked).toBe(atoms.length ** 2);
  });

  it('double negation, $ne = not $eq, $nin = not $in, $in = or of $eq, key $not = top $not', () => {
    const scalars = [0, 1, 2, -1.5, '1', 'x', 'y', '', true, false];
    for (const record of records) {
      for (const atom of atoms) {
        expect(holds({ $not: { $not: atom } }, record)).toBe(holds(atom, record));
        expect(holds({ $not: atom }, record)).toBe(!holds(atom, record));
      }
      for (const v of scalars) {
        expect(holds({ a: { $ne: v } }, record)).toBe(!holds({ a: { $eq: v } }, record));
        expect(holds({ a: { $ne: v } }, record)).toBe(holds({ $not: { a: v } }, record));
        expect(holds({ a: { $not: v } }, record)).toBe(holds({ $not: { a: v } }, record));
        expect(holds({ a: { $gt: 1, $not: { $eq: v } } }, record)).toBe(
          holds({ $and: [{ a: { $gt: 1 } }, { $not: { a: v } }] }, record),
        );
        for (const w of scalars) {
          expect(holds({ a: { $in: [v, w] } }, record)).toBe(holds({ $or: [{ a: v }, { a: w }] }, record));
          expect(holds({ a: { $nin: [v, w] } }, record)).toBe(!holds({ a: { $in: [v, w] } }, record));
          expect(holds({ a: { $nin: [v, w] } }, record)).toBe(
            holds({ a: { $ne: v }, $and: [{ a: { $ne: w } }] }, record),
          );
        }
      }
      for (const bound of [-2, 0, 1, 1.5]) {
        const numeric = typeof record.a === 'number';
        expect(holds({ a: { $lt: bound } }, record)).toBe(numeric && !holds({ a: { $gte: bound } }, record));
        expect(holds({ a: { $gt: bound } }, record)).toBe(numeric && !holds({ a: { $lte: bound } }, record));
      }
      expect(holds({ a: { $exists: false } }, record)).toBe(!holds({ a: { $exists: true } }, record));
      expect(holds({ a: { $in: [] } }, record)).toBe(false);
      expect(holds({ a: { $nin: [] } }, record)).toBe(true);
    }
  });
});

describe('collectOperators', () => {
  const ops = (filter: unknown): string[] => [...collectOperators(parseFilter(filter))].sort();

  it('is empty without a filter', () => {
    expect(collectOperators(undefined).size).toBe(0);
  });

  it('names each field operator', () => {
    expect(ops({ a: 1 })).toEqual(['$eq']);
    expect(ops({ a: { $ne: 1 } })).toEqual(['$ne']);
    expect(ops({ a: { $gt: 1 } })).toEqual(['$gt']);
    expect(ops({ a: { $in: [] } })).toEqual(['$in']);
    expect(ops({ a: { $nin: [1] } })).toEqual(['$nin']);
    expect(ops({ a: { $exists: true } })).toEqual(['$exists']);
  });

  it('counts the implicit $and of several keys or operators', () => {
    expect(ops({ a: 1, b: 2 })).toEqual(['$and', '$eq']);
    expect(ops({ a: { $gte: 1, $lt: 2 } })).toEqual(['$and', '$gte', '$lt']);
    expect(ops({ $and: [{ a: 1 }] })).toEqual(['$eq']);
  });

  it('names $or and both forms of $not', () => {
    expect(ops({ $or: [{ a: 1 }, { b: { $lte: 2 } }] })).toEqual(['$eq', '$lte', '$or']);
    expect(ops({ $not: { a: { $exists: false } } })).toEqual(['$exists', '$not']);
    expect(ops({ a: { $not: { $in: [1] } } })).toEqual(['$in', '$not']);
    expect(ops({ $or: [{ a: 1, b: { $not: 2 } }, { c: { $nin: [] } }] })).toEqual([
      '$and',
      '$eq',
      '$nin',
      '$not',
      '$or',
    ]);
  });
});

describe('filterFields', () => {
  it('lists the keys a filter reads, once each, in order of appearance', () => {
    expect(filterFields(undefined).size).toBe(0);
    expect([...filterFields(parseFilter({ a: 1 }))]).toEqual(['a']);
    expect([
      ...filterFields(
        parseFilter({
          genre: 'x',
          $or: [{ year: { $gt: 1, $lt: 3 } }, { $not: { tags: { $in: ['a'] } } }],
          price: { $not: { $exists: true } },
          year: 5,
        }),
      ),
    ]).toEqual(['genre', 'year', 'tags', 'price']);
  });
});
