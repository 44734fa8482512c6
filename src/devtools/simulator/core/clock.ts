/**
 * The simulator's notion of "now": real time plus an offset. Tests jump 23 h, 25 h, 59 d, 61 d (contract,
 * "Timing") without waiting, while latencies and timeouts stay in real time.
 */
export class SimClock {
  private offsetMs: number;
  /** While frozen, "now" moves only through advance()/set(): exact window arithmetic under a loaded CPU. */
  private frozenAtMs: number | null = null;

  constructor(private readonly initialOffsetMs = 0) {
    this.offsetMs = initialOffsetMs;
  }

  nowMs(): number {
    return (this.frozenAtMs ?? Date.now()) + this.offsetMs;
  }

  freeze(): Date {
    this.frozenAtMs = Date.now();
    return this.now();
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  advance(ms: number): Date {
    this.offsetMs += ms;
    return this.now();
  }

  set(date: Date): Date {
    this.offsetMs = date.getTime() - (this.frozenAtMs ?? Date.now());
    return this.now();
  }

  get offset(): number {
    return this.offsetMs;
  }

  reset(): void {
    this.offsetMs = this.initialOffsetMs;
    this.frozenAtMs = null;
  }
}
