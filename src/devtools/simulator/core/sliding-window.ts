/**
 * Timestamps of the requests inside one window, oldest first. Pruning pops from the front in O(1)
 * amortised: no scan over all requests ever made.
 */
class TimestampQueue {
  private items: number[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  get oldest(): number | undefined {
    return this.size > 0 ? this.items[this.head] : undefined;
  }

  push(timestamp: number): void {
    this.items.push(timestamp);
  }

  /** Drops every timestamp <= `cutoff`. */
  prune(cutoff: number): void {
    while (this.head < this.items.length && this.items[this.head] <= cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

export interface TakeResult {
  allowed: boolean;
  /** Requests counted in the window, this one included when allowed. */
  count: number;
  /** When the oldest counted request leaves the window, i.e. when one more is allowed again. */
  freesAtMs: number | null;
}

/**
 * A sliding-window log per key: a request is allowed when fewer than `limit` allowed requests happened in
 * the last `windowMs`. Refused requests are not counted, so exactly `limit` succeed per window. The check
 * and the record happen in one synchronous step: concurrent requests cannot both take the last slot.
 */
export class SlidingWindowCounter {
  private readonly windows = new Map<string, TimestampQueue>();

  tryTake(key: string, nowMs: number, limit: number, windowMs: number): TakeResult {
    const queue = this.queueFor(key, nowMs, windowMs);
    if (queue.size >= limit)
      return { allowed: false, count: queue.size, freesAtMs: (queue.oldest ?? nowMs) + windowMs };
    queue.push(nowMs);
    return { allowed: true, count: queue.size, freesAtMs: (queue.oldest ?? nowMs) + windowMs };
  }

  /** Counts without taking: for usage headers and the request log. */
  record(key: string, nowMs: number, windowMs: number): number {
    const queue = this.queueFor(key, nowMs, windowMs);
    queue.push(nowMs);
    return queue.size;
  }

  clear(): void {
    this.windows.clear();
  }

  private queueFor(key: string, nowMs: number, windowMs: number): TimestampQueue {
    let queue = this.windows.get(key);
    if (!queue) {
      queue = new TimestampQueue();
      this.windows.set(key, queue);
    }
    queue.prune(nowMs - windowMs);
    return queue;
  }
}
