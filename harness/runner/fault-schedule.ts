import type { FaultEnv, ScheduledFault } from '../../chaos/fault.ts';
import type { HistoryWriter } from '../../system/history/history-writer.ts';

/**
 * Plays a fault schedule against the clock of the load phase. Each fault starts at its time,
 * lasts its duration, then heals. Faults that are active when the run is interrupted are healed
 * by `healAll`, which is safe to call at any time and more than once.
 */
export class FaultSchedule {
  readonly #schedule: readonly ScheduledFault[];
  readonly #env: FaultEnv;
  readonly #history: HistoryWriter;
  readonly #active = new Set<ScheduledFault>();
  /** A fault's start in progress: healing must wait for it, or it would heal before the damage is done. */
  readonly #starting = new Map<ScheduledFault, Promise<void>>();
  readonly #done: Promise<void>[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  /** Settles the `finished()` promise of faults cancelled before they started. */
  readonly #cancel: (() => void)[] = [];
  #stopped = false;

  constructor(schedule: readonly ScheduledFault[], env: FaultEnv, history: HistoryWriter) {
    this.#schedule = schedule;
    this.#env = env;
    this.#history = history;
  }

  /** Names of faults currently in effect, for the status line. */
  get active(): string[] {
    return [...this.#active].map((f) => f.fault.name);
  }

  /**
   * Schedules every fault relative to now (the start of the load). A fault scheduled after another
   * one's end also waits for that one to have healed: a broker takes longer to come back than any
   * schedule can know, and two faults meant to follow each other must not overlap.
   */
  begin(): void {
    const healed = new Map<ScheduledFault, Promise<void>>();
    for (const item of this.#schedule) {
      const before = this.#schedule.filter((other) => other !== item && other.at + other.duration <= item.at && healed.has(other)).map((other) => healed.get(other)!);
      const done = new Promise<void>((resolve) => {
        this.#cancel.push(resolve);
        this.#timers.push(
          setTimeout(() => {
            void Promise.all(before)
              .then(() => this.#play(item))
              .finally(resolve);
          }, item.at * 1000),
        );
      });
      healed.set(item, done);
      this.#done.push(done);
    }
  }

  /** Resolves when every scheduled fault has started and healed (or was cancelled). */
  async finished(): Promise<void> {
    await Promise.all(this.#done);
  }

  /** Cancels what has not started and heals what is active. */
  async healAll(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    for (const cancel of this.#cancel) cancel();
    for (const item of [...this.#active]) await this.#heal(item);
  }

  async #play(item: ScheduledFault): Promise<void> {
    if (this.#stopped) return;
    const startedAt = performance.now();
    this.#active.add(item);
    this.#history.append({ kind: 'fault', name: item.fault.name, phase: 'start', detail: item.fault.description });
    const starting = item.fault.start(this.#env).catch((err: Error) => this.#env.log(`fault ${item.fault.name} failed to start: ${err.message}`));
    this.#starting.set(item, starting);
    await starting;
    // Lasts its duration from when it actually began (later than planned if it waited for an earlier fault to heal).
    const healAt = startedAt + item.duration * 1000;
    while (!this.#stopped && performance.now() < healAt) await sleep(Math.min(100, healAt - performance.now()));
    await this.#heal(item);
  }

  async #heal(item: ScheduledFault): Promise<void> {
    if (!this.#active.delete(item)) return;
    await this.#starting.get(item);
    try {
      await item.fault.stop(this.#env);
    } finally {
      this.#history.append({ kind: 'fault', name: item.fault.name, phase: 'stop' });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
