/**
 * Everything the suite started, to stop and delete, also when a signal or an error ends it half-way: each
 * resource registers its closer as soon as it exists; one still starting is waited for (bounded) so that it
 * is closed too instead of outliving the suite.
 */
export class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];
  private readonly pending = new Set<Promise<unknown>>();

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  /** `start`'s result, whose `close` is registered the moment it is up. */
  starting<T>(start: Promise<T>, close: (value: T) => Promise<unknown>): Promise<T> {
    const tracked = start.then((value) => {
      this.add(() => close(value));
      return value;
    });
    this.pending.add(tracked);
    tracked.then(
      () => this.pending.delete(tracked),
      () => this.pending.delete(tracked),
    );
    return tracked;
  }

  /** Waits (at most `waitMs`) for what is still starting, then runs every step, the last added first. */
  async run(waitMs = 60_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.pending]),
      new Promise((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
    for (const step of this.steps.splice(0).reverse()) await step().catch(() => undefined);
  }
}
