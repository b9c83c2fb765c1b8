/**
 * A small async pool: at most `limit` tasks in flight; submit() waits for a free slot, which is
 * what keeps a listing from running ahead of the work.
 */

export class AsyncPool {
  private active = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private error: unknown;
  private failed = false;
  /** Highest number of tasks seen in flight at once. */
  peak = 0;

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('pool limit must be >= 1');
  }

  /**
   * Start `task` as soon as a slot is free. Resolves once it has started (not finished). A task
   * that throws stops the pool: later submit()/drain() calls reject with that error. Tasks must
   * catch the errors they want to count instead.
   */
  async submit(task: () => Promise<void>): Promise<void> {
    while (!this.failed && this.active >= this.limit) await new Promise<void>((r) => this.slotWaiters.push(r));
    if (this.failed) throw this.error;
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
    task()
      .catch((err: unknown) => {
        if (!this.failed) {
          this.failed = true;
          this.error = err;
        }
      })
      .finally(() => {
        this.active--;
        this.slotWaiters.shift()?.();
        if (this.failed) for (const w of this.slotWaiters.splice(0)) w();
        if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  /** Wait for every started task; rejects with the error that stopped the pool, if any. */
  async drain(): Promise<void> {
    while (this.active > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    if (this.failed) throw this.error;
  }
}
