/**
 * Admission to one upstream instance: at most `capacity` exchanges at once (the connection pool's
 * size, so the agent itself never queues), and a wait for a free slot that ends at a deadline. A
 * request that cannot get a connection in time fails fast instead of queueing without bound.
 */
export class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly capacity: number) {}

  get inUse(): number {
    return this.active;
  }

  /** Takes a slot at once when one is free (the common case costs no promise). */
  tryAcquire(): boolean {
    if (this.active >= this.capacity) return false;
    this.active++;
    return true;
  }

  /** Waits up to `timeoutMs` for a slot; true when one was taken. */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.tryAcquire()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const index = this.waiting.indexOf(grant);
        if (index !== -1) this.waiting.splice(index, 1);
        resolve(false);
      }, timeoutMs);
      this.waiting.push(grant);
    });
  }

  /** Hands the slot to the longest waiter, or frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
