import { setFlagsFromString } from 'node:v8';

/**
 * Judging a stored run builds a few hundred MB of structures in one burst. V8 then sees a cheap
 * garbage collector and lets the heap grow up to four times what was live at its last full
 * collection before collecting again: on a million events, every structure a checker dropped was
 * still held when the next one built its own (peak 540 MB, of which ~180 MB garbage). A growing
 * factor of 2 makes it collect once or twice more (about 0.3 s on that history) and keeps the peak
 * under 500 MB. For processes that only judge (`npm run check`, the checker benchmark): it is
 * process-wide, and V8 reads the flag each time it sets the next limit.
 */
export function boundHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=100');
}
