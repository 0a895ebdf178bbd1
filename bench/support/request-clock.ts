/**
 * The latency a benchmark injects into each request, and what it records about the requests: how many, how many in
 * flight at once (the time-weighted mean and the most), and how long they took in all.
 *
 * - `WallClockLatency` sleeps for real (setTimeout). Its figures are wall-clock figures: on a loaded machine the
 *   code between requests waits for a core, so fewer requests overlap and the run takes longer than the latency
 *   alone explains.
 * - `VirtualLatency` keeps its own clock: a request's latency passes only when every other piece of work has run
 *   and is itself waiting for a request (the code under test costs no time at all). The elapsed virtual time is the
 *   run's time when the latency is the whole cost, the same on an idle machine and at load 30: it follows only from
 *   how the code chains and overlaps its requests. Only for code whose sole waiting is on this clock (in-memory
 *   fakes); a real emulator's I/O would let the clock run ahead of it.
 *
 * @example
 * const clock = new VirtualLatency();
 * const bucket = new StreamingBucket(shape, 30, clock);
 * await syncCatalog(...);
 * clock.elapsedMs // 3,000 for 100 sequential pages at 30 ms
 */

export interface RequestLatency {
  /** Resolves after `ms` of this clock; counts one request in flight meanwhile. */
  wait(ms: number): Promise<void>;
  readonly requests: number;
  readonly elapsedMs: number;
  /** Time-weighted mean of the requests in flight, over the elapsed time. */
  readonly meanInFlight: number;
  readonly maxInFlight: number;
}

/** Counts requests in flight against some clock. */
class InFlight {
  requests = 0;
  maxInFlight = 0;
  #inFlight = 0;
  #area = 0;
  #since: number;
  readonly #start: number;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
    this.#start = now();
    this.#since = this.#start;
  }

  #advance(): void {
    const at = this.#now();
    this.#area += this.#inFlight * (at - this.#since);
    this.#since = at;
  }

  begin(): void {
    this.#advance();
    this.requests++;
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
  }

  end(): void {
    this.#advance();
    this.#inFlight--;
  }

  get elapsedMs(): number {
    return this.#since - this.#start;
  }

  get meanInFlight(): number {
    const elapsed = this.elapsedMs;
    return elapsed > 0 ? this.#area / elapsed : 0;
  }
}

export class WallClockLatency implements RequestLatency {
  readonly #tracked = new InFlight(() => performance.now());

  async wait(ms: number): Promise<void> {
    this.#tracked.begin();
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      this.#tracked.end();
    }
  }

  get requests(): number {
    return this.#tracked.requests;
  }
  get elapsedMs(): number {
    return this.#tracked.elapsedMs;
  }
  get meanInFlight(): number {
    return this.#tracked.meanInFlight;
  }
  get maxInFlight(): number {
    return this.#tracked.maxInFlight;
  }
}

interface Waiting {
  readonly due: number;
  readonly resolve: () => void;
}

/**
 * Checks of an idle event loop before the clock moves: work that hops through setImmediate (stream internals do)
 * gets this many turns to issue its next request first.
 */
const IDLE_TURNS = 3;

export class VirtualLatency implements RequestLatency {
  #now = 0;
  #waiting: Waiting[] = [];
  #scheduled = false;
  #idleTurns = 0;
  readonly #tracked = new InFlight(() => this.#now);

  wait(ms: number): Promise<void> {
    this.#tracked.begin();
    return new Promise<void>((resolve) => {
      this.#waiting.push({ due: this.#now + ms, resolve });
      this.#idleTurns = 0;
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#turn());
  }

  /** Moves the clock to the next due request once the loop has stayed idle, and lets every request due then finish. */
  #turn(): void {
    this.#scheduled = false;
    if (this.#waiting.length === 0) return;
    if (++this.#idleTurns < IDLE_TURNS) {
      this.#schedule();
      return;
    }
    this.#idleTurns = 0;
    const due = Math.min(...this.#waiting.map((waiting) => waiting.due));
    this.#now = due;
    const finished = this.#waiting.filter((waiting) => waiting.due === due);
    this.#waiting = this.#waiting.filter((waiting) => waiting.due !== due);
    for (const waiting of finished) {
      this.#tracked.end();
      waiting.resolve();
    }
    if (this.#waiting.length > 0) this.#schedule();
  }

  get requests(): number {
    return this.#tracked.requests;
  }
  get elapsedMs(): number {
    return this.#tracked.elapsedMs;
  }
  get meanInFlight(): number {
    return this.#tracked.meanInFlight;
  }
  get maxInFlight(): number {
    return this.#tracked.maxInFlight;
  }
}
