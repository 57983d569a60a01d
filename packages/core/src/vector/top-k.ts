/**
 * Bounded top-k selection: keeps the k best of a stream in a binary min-heap whose root is the
 * worst kept item. Each offer is O(1) when the item loses to the root and O(log k) otherwise, so
 * selecting k of n costs O(n log k) time and O(k) memory, against O(n log n) and O(n) for sorting
 * every candidate.
 *
 * Order: a higher `score` is better; equal scores rank by id ascending (so the result is the same
 * as sorting all candidates by `score desc, id asc` and taking the first k).
 */
export interface Scored {
  id: string;
  score: number;
}

/** True when `a` ranks below `b` (worse score, or equal score and a larger id). */
function worse(a: Scored, b: Scored): boolean {
  return a.score < b.score || (a.score === b.score && a.id > b.id);
}

export class TopK<T extends Scored> {
  private readonly heap: T[] = [];

  constructor(readonly k: number) {}

  /** The score an item must beat to enter (−Infinity while fewer than k are kept). */
  get threshold(): number {
    return this.heap.length < this.k ? Number.NEGATIVE_INFINITY : (this.heap[0] as T).score;
  }

  offer(item: T): void {
    const heap = this.heap;
    if (this.k <= 0) return;
    if (heap.length < this.k) {
      heap.push(item);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(item, heap[parent] as T)) break;
        heap[i] = heap[parent] as T;
        i = parent;
      }
      heap[i] = item;
      return;
    }
    if (!worse(heap[0] as T, item)) return;
    // replace the root and sift down
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && worse(heap[r] as T, heap[l] as T) ? r : l;
      if (!worse(heap[child] as T, item)) break;
      heap[i] = heap[child] as T;
      i = child;
    }
    heap[i] = item;
  }

  /** The kept items, best first. */
  sorted(): T[] {
    return [...this.heap].sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  }
}
