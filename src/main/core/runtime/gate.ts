/**
 * A counting gate: at most `limit` holders at once, the rest wait in FIFO order. Used to bound how
 * many services are starting at the same time (launch and recovery alike), so that 50 services
 * failing together do not restart in a thundering herd.
 */
export class Gate {
  private holders = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private limit: number) {
    if (!(limit >= 1)) throw new RangeError('gate limit must be at least 1');
  }

  get active(): number {
    return this.holders;
  }

  get waiting(): number {
    return this.queue.length;
  }

  setLimit(limit: number): void {
    this.limit = Math.max(1, limit);
    this.drain();
  }

  /** Resolves with a release function once a slot is free. Release is idempotent. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.holders += 1;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.holders -= 1;
          this.drain();
        });
      };
      this.queue.push(grant);
      this.drain();
    });
  }

  private drain(): void {
    while (this.holders < this.limit && this.queue.length > 0) this.queue.shift()!();
  }
}

/** Runs async operations one after another (per service: start, stop, restart never overlap). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.tail.then(op, op);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
