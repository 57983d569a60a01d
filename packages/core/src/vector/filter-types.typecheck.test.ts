import { describe, expect, it } from 'vitest';
import type { Filter } from './filter-types.js';
import type { Metadata } from './types.js';

// Compile-time checks: `pnpm typecheck` fails if these stop type-checking (or start to).
describe('Filter type', () => {
  it('accepts logical clauses over wide metadata and checks keys of specific metadata', () => {
    const wide: Filter<Metadata> = {
      $and: [{ genre: 'drama' }, { year: { $gt: 2000 } }],
      $not: { tags: { $in: ['x'] } },
    };
    type Movie = { genre: string; year: number; tags: string[] };
    const typed: Filter<Movie> = { genre: { $in: ['drama', 'comedy'] }, tags: 'x', $or: [{ year: { $lt: 1990 } }] };
    // @ts-expect-error: 'rating' is not a key of Movie
    const unknownKey: Filter<Movie> = { rating: 5 };
    // @ts-expect-error: year holds numbers
    const wrongType: Filter<Movie> = { year: 'old' };
    // @ts-expect-error: genre holds strings, so range operators do not apply
    const rangeOnString: Filter<Movie> = { genre: { $gt: 1 } };
    const rangeOnWide: Filter<Metadata> = { anything: { $gte: 1 } };
    expect([wide, typed, unknownKey, wrongType, rangeOnString, rangeOnWide]).toHaveLength(6);
  });
});
