import { describe, expect, it } from 'vitest';
import { Lifecycle } from './lifecycle.js';

describe('Lifecycle', () => {
  it('close waits for tracked calls, releases once, and a concurrent second close waits for the first', async () => {
    const life = new Lifecycle(() => 'thing');
    let finish!: () => void;
    const call = life.track(undefined, () => new Promise<string>((resolve) => (finish = () => resolve('done'))));
    let released = 0;
    let releaseDone!: () => void;
    const release = () =>
      new Promise<void>((resolve) => {
        released++;
        releaseDone = resolve;
      });
    const order: string[] = [];
    const first = life.close(release).then(() => order.push('first'));
    const second = life.close(release).then(() => order.push('second'));
    await expect(life.track(undefined, async () => 1)).rejects.toMatchObject({ code: 'CLOSED' });
    await new Promise((r) => setTimeout(r, 5));
    expect(released).toBe(0); // the call in flight has not settled
    finish();
    expect(await call).toBe('done');
    await new Promise((r) => setTimeout(r, 5));
    expect(released).toBe(1);
    expect(order).toEqual([]); // neither close resolved before release finished
    releaseDone();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    await life.close(release);
    expect(released).toBe(1);
  });

  it('a fired signal is refused before the body runs', async () => {
    const life = new Lifecycle(() => 'thing');
    let ran = false;
    await expect(
      life.track(AbortSignal.abort(), async () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(ran).toBe(false);
  });
});
