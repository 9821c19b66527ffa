import type { FaultEnv, ScheduledFault } from '../../chaos/fault.ts';
import type { HistoryWriter } from '../../instrument/history-writer.ts';

/** What actually happened to one scheduled fault; times in seconds since the schedule began. */
export interface AppliedFault {
  name: string;
  plannedAt: number;
  plannedDuration: number;
  startedAt?: number;
  /** When its start resolved: from here on the fault was in effect (a memory alarm verified, a broker stopped). */
  inEffectAt?: number;
  healedAt?: number;
  startError?: string;
  healError?: string;
}

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
  /** A fault's heal in progress (a broker booting): healing everything must wait for it too. */
  readonly #healing = new Map<ScheduledFault, Promise<void>>();
  readonly #done: Promise<void>[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  /** Settles the `finished()` promise of faults cancelled before they started. */
  readonly #cancel: (() => void)[] = [];
  readonly #applied = new Map<ScheduledFault, AppliedFault>();
  #begunAt = 0;
  #stopped = false;

  constructor(schedule: readonly ScheduledFault[], env: FaultEnv, history: HistoryWriter) {
    this.#schedule = schedule;
    this.#env = env;
    this.#history = history;
    for (const item of schedule) this.#applied.set(item, { name: item.fault.name, plannedAt: item.at, plannedDuration: item.duration });
  }

  /** Names of faults currently in effect, for the status line. */
  get active(): string[] {
    // A fault whose heal is under way (a broker still booting) is still in effect.
    return [...new Set([...this.#active, ...this.#healing.keys()])].map((f) => f.fault.name);
  }

  /**
   * Schedules every fault relative to now (the start of the load). A fault scheduled after another
   * one's end also waits for that one to have healed: a broker takes longer to come back than any
   * schedule can know, and two faults meant to follow each other must not overlap.
   */
  begin(): void {
    this.#begunAt = performance.now();
    const healed = new Map<ScheduledFault, Promise<void>>();
    for (const item of this.#schedule) {
      const before = this.#schedule
        .filter((other) => other !== item && other.at + other.duration <= item.at && healed.has(other))
        .map((other) => healed.get(other)!);
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

  /** What each fault actually did, in schedule order (a fault cancelled before its time has no startedAt). */
  applied(): AppliedFault[] {
    return this.#schedule.map((item) => ({ ...this.#applied.get(item)! }));
  }

  /** Cancels what has not started, heals what is active and waits for heals already under way. */
  async healAll(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    for (const cancel of this.#cancel) cancel();
    for (const item of [...this.#active]) await this.#heal(item);
    await Promise.all(this.#healing.values());
  }

  async #play(item: ScheduledFault): Promise<void> {
    if (this.#stopped) return;
    const record = this.#applied.get(item)!;
    record.startedAt = this.#seconds();
    this.#active.add(item);
    this.#history.append({
      kind: 'fault',
      name: item.fault.name,
      phase: 'start',
      traits: item.fault.traits,
      detail: item.fault.description,
    });
    const starting = item.fault.start(this.#env).then(
      () => {
        record.inEffectAt = this.#seconds();
        this.#history.append({ kind: 'fault', name: item.fault.name, phase: 'in-effect', traits: item.fault.traits });
      },
      (err: Error) => {
        record.startError = err.message;
        this.#env.log(`fault ${item.fault.name} failed to start: ${err.message}`);
      },
    );
    this.#starting.set(item, starting);
    await starting;
    // Lasts its duration from when it was in effect, not from when its start began: raising an
    // alarm through rabbitmqctl takes seconds on a loaded machine, and those seconds must not eat
    // into the time the system spends under the fault. Its heal begins early by what the heal
    // takes to take effect (a broker's boot), so it ends when planned, not a boot later. A fault
    // that failed to start heals at once.
    const lead = Math.min(item.duration, Math.max(0, item.fault.healLeadSeconds?.(this.#env) ?? 0));
    const healAt = record.startError ? 0 : performance.now() + (item.duration - lead) * 1000;
    while (!this.#stopped && performance.now() < healAt) await sleep(Math.min(100, healAt - performance.now()));
    await this.#heal(item);
  }

  async #heal(item: ScheduledFault): Promise<void> {
    if (!this.#active.delete(item)) return this.#healing.get(item);
    const healing = this.#healNow(item).finally(() => this.#healing.delete(item));
    this.#healing.set(item, healing);
    await healing;
  }

  async #healNow(item: ScheduledFault): Promise<void> {
    await this.#starting.get(item);
    const record = this.#applied.get(item)!;
    this.#history.append({ kind: 'fault', name: item.fault.name, phase: 'healing', traits: item.fault.traits });
    try {
      await item.fault.stop(this.#env);
    } catch (err) {
      // Not thrown: the run goes on to stop everything, and the faults check turns the verdict unknown.
      record.healError = (err as Error).message;
      this.#env.log(`fault ${item.fault.name} failed to heal: ${record.healError}`);
    } finally {
      record.healedAt = this.#seconds();
      this.#history.append({ kind: 'fault', name: item.fault.name, phase: 'stop', traits: item.fault.traits });
    }
  }

  #seconds(): number {
    return Math.round(performance.now() - this.#begunAt) / 1000;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
