// Events per second over the last ~1 s, for a live status line: counts in 100 ms slots, so memory stays fixed
// at any rate (no per-event timestamps).

const SLOT_MS = 100;
const SLOTS = 10;

export class RateWindow {
  private readonly counts = new Float64Array(SLOTS);
  private readonly slotIds = new Float64Array(SLOTS).fill(-1);

  /** `nowMs` is time since the start of the run. */
  record(nowMs: number, n = 1): void {
    const id = Math.floor(nowMs / SLOT_MS);
    const k = id % SLOTS;
    if (this.slotIds[k] !== id) {
      this.slotIds[k] = id;
      this.counts[k] = 0;
    }
    this.counts[k]! += n;
  }

  /** Events per second in the window ending at `nowMs` (a shorter window right after the start). */
  ratePerSecond(nowMs: number): number {
    if (nowMs <= 0) return 0;
    const current = Math.floor(nowMs / SLOT_MS);
    const oldest = current - SLOTS + 1;
    let sum = 0;
    for (let k = 0; k < SLOTS; k++) {
      const id = this.slotIds[k]!;
      if (id >= oldest && id <= current) sum += this.counts[k]!;
    }
    const spanMs = Math.min(nowMs, nowMs - oldest * SLOT_MS);
    return spanMs > 0 ? (sum * 1000) / spanMs : 0;
  }
}
