import { createRng, evaluateFilter, type FilterNode, type Metadata, UnsupportedFilterError } from '@q-store/core';
import { parseFilter } from '@q-store/core/backend';
import { generateFilters, makeFilterDataset } from '@q-store/core/testing';
import { describe, expect, it } from 'vitest';
import { compileFilter } from './filter-compiler.js';
import { matchesPineconeFilter } from './pinecone-filter-semantics.js';

const dataset = makeFilterDataset(11);
const records = dataset.records;

/** Ids the reference evaluator selects, and ids Pinecone's semantics select for the compiled filter. */
function both(node: FilterNode, numericFields?: string[]): { expected: string[]; actual: string[] } {
  const compiled = compileFilter(node, numericFields ? { numericFields } : {});
  return {
    expected: records.filter((r) => evaluateFilter(node, r.metadata)).map((r) => r.id),
    actual: records.filter((r) => matchesPineconeFilter(compiled, r.metadata)).map((r) => r.id),
  };
}

describe('compileFilter', () => {
  it('maps $eq and ranges one to one', () => {
    expect(compileFilter(parseFilter({ genre: 'drama', year: { $gte: 2000 } }) as FilterNode)).toEqual({
      $and: [{ genre: { $eq: 'drama' } }, { year: { $gte: 2000 } }],
    });
  });

  it('$ne also selects records without the field (Pinecone alone would not)', () => {
    const node = parseFilter({ genre: { $ne: 'drama' } }) as FilterNode;
    expect(compileFilter(node)).toEqual({ $or: [{ genre: { $ne: 'drama' } }, { genre: { $exists: false } }] });
    const meta = { year: 1 };
    expect(evaluateFilter(node, meta)).toBe(true);
    expect(matchesPineconeFilter({ genre: { $ne: 'drama' } }, meta)).toBe(false);
    expect(matchesPineconeFilter(compileFilter(node), meta)).toBe(true);
  });

  it('$in with a boolean becomes $eq beside the list; $in [] and $nin [] keep their meaning', () => {
    expect(compileFilter(parseFilter({ f: { $in: ['a', true] } }) as FilterNode)).toEqual({
      $or: [{ f: { $in: ['a'] } }, { f: { $eq: true } }],
    });
    const none = compileFilter(parseFilter({ f: { $in: [] } }) as FilterNode);
    const all = compileFilter(parseFilter({ f: { $nin: [] } }) as FilterNode);
    const metas: Metadata[] = [{}, { f: 'a' }, { f: ['x'] }, { f: 3 }];
    for (const meta of metas) {
      expect(matchesPineconeFilter(none, meta)).toBe(false);
      expect(matchesPineconeFilter(all, meta)).toBe(true);
    }
  });

  it('$not is pushed down by De Morgan and never reaches Pinecone', () => {
    const compiled = compileFilter(
      parseFilter({ $not: { $or: [{ a: 'x' }, { b: { $exists: true } }] } }) as FilterNode,
    );
    expect(JSON.stringify(compiled)).not.toContain('$not');
    expect(compiled).toEqual({
      $and: [{ $or: [{ a: { $ne: 'x' } }, { a: { $exists: false } }] }, { b: { $exists: false } }],
    });
  });

  it('a negated range throws UnsupportedFilterError unless the field is declared numeric', () => {
    const node = parseFilter({ rating: { $not: { $gt: 3 } } }) as FilterNode;
    expect(() => compileFilter(node)).toThrow(UnsupportedFilterError);
    // A string rating matches core's "not > 3"; no Pinecone operator selects it, so nothing is guessed.
    expect(evaluateFilter(node, { rating: 'high' })).toBe(true);
    expect(compileFilter(node, { numericFields: ['rating'] })).toEqual({
      $or: [{ rating: { $lte: 3 } }, { rating: { $exists: false } }],
    });
  });

  it('hand cases on list fields, mixed types and missing keys agree with the reference evaluator', () => {
    const filters = [
      { tags: 'sale' },
      { tags: { $ne: 'sale' } },
      { tags: { $nin: ['sale', 'eco'] } },
      { code: { $in: ['A1', 13] } },
      { code: { $nin: ['A1', 13] } },
      { inStock: { $in: [true] } },
      { inStock: { $nin: [false] } },
      { $not: { category: 'books' } },
      { $not: { $and: [{ tags: { $in: ['x', 'sale'] } }, { inStock: false }] } },
      { nobody: { $exists: false } },
    ];
    for (const f of filters) {
      const { expected, actual } = both(parseFilter(f) as FilterNode);
      expect(actual, JSON.stringify(f)).toEqual(expected);
    }
  });

  it('400 generated filter trees (every operator but negated ranges) agree with the reference evaluator', () => {
    const generated = generateFilters(
      createRng(99),
      400,
      ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$and', '$or', '$not'],
      { dimension: dataset.dimension, records },
    );
    let compared = 0;
    let refused = 0;
    for (const f of generated) {
      const node = parseFilter(f) as FilterNode;
      try {
        compileFilter(node);
      } catch (error) {
        expect(error).toBeInstanceOf(UnsupportedFilterError);
        refused++;
        continue;
      }
      const { expected, actual } = both(node);
      expect(actual, JSON.stringify(f)).toEqual(expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
    // With the always-numeric fields declared, negated ranges on them compile too (those on the
    // mixed-type \`code\` field are still refused) and everything compiled still agrees.
    let refusedDeclared = 0;
    for (const f of generated) {
      const node = parseFilter(f) as FilterNode;
      try {
        const { expected, actual } = both(node, ['year', 'price', 'rating']);
        expect(actual, JSON.stringify(f)).toEqual(expected);
      } catch (error) {
        if (!(error instanceof UnsupportedFilterError)) throw error;
        refusedDeclared++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(refusedDeclared).toBeLessThan(refused);
  });
});
