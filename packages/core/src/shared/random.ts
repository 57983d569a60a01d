import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { ValidationError } from './errors.js';

/**
 * A seeded pseudo-random source (xoroshiro128+ from `pure-rand`). Same seed, same sequence, on
 * every machine. `state()` / `createRng({state})` save and restore the exact position, so a resumed
 * run draws what an uninterrupted one would have.
 */
export interface Rng {
  /** Uniform in [0, 1), 53 random bits. */
  float(): number;
  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** In-place Fisher–Yates shuffle; returns the same array. */
  shuffle<T>(items: T[]): T[];
  /** The generator's position, for `createRng({state})`. */
  state(): number[];
}

/**
 * A generator for a seed (an integer from −2³¹ to 2³¹−1; anything else is a ValidationError rather
 * than a silently truncated seed that repeats another's sequence) or a saved state.
 */
export function createRng(seed: number | { state: readonly number[] }): Rng {
  if (typeof seed === 'number' && !(Number.isInteger(seed) && seed >= -(2 ** 31) && seed < 2 ** 31)) {
    throw new ValidationError(
      [{ field: 'seed', message: `must be an integer from -2^31 to 2^31-1, got ${seed}` }],
      'Invalid seed',
    );
  }
  const gen = typeof seed === 'number' ? xoroshiro128plus(seed) : xoroshiro128plusFromState(seed.state);
  const rng: Rng = {
    float: () => uniformFloat64(gen),
    int: (min, max) => uniformInt(gen, min, max),
    normal: () => {
      const u = 1 - uniformFloat64(gen);
      const v = uniformFloat64(gen);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[uniformInt(gen, 0, items.length - 1)] as (typeof items)[number];
    },
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = uniformInt(gen, 0, i);
        const tmp = items[i] as (typeof items)[number];
        items[i] = items[j] as (typeof items)[number];
        items[j] = tmp;
      }
      return items;
    },
    state: () => [...gen.getState()],
  };
  return rng;
}
