import { describe, expect, it } from 'vitest';
import { StatusLine, type StatusSnapshot } from '../../../harness/runner/status-line.ts';

/** A stand-in for stderr on a CI log: not a TTY, every write kept. */
function ciLog(): { out: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const out = { isTTY: false, write: (text: string) => lines.push(text) } as unknown as NodeJS.WriteStream;
  return { out, lines };
}

const snapshot = (elapsedSeconds: number, faults: string[] = [], phase = 'load'): StatusSnapshot => ({ phase, elapsedSeconds, faults });

describe('the status line on a CI log', () => {
  it('prints a line every few seconds, not at every update', () => {
    const { out, lines } = ciLog();
    const status = new StatusLine(out);
    for (let t = 0; t < 4; t++) status.update(snapshot(t));
    expect(lines).toHaveLength(1);
  });

  it('prints at once when a fault starts or heals, or the phase changes, so a short fault is never missed', () => {
    const { out, lines } = ciLog();
    const status = new StatusLine(out);
    status.update(snapshot(1));
    status.update(snapshot(2, ['broker-restart']));
    status.update(snapshot(3, ['broker-restart']));
    status.update(snapshot(4));
    status.update(snapshot(5, [], 'drain'));
    expect(lines.map((l) => l.trim())).toEqual([
      '[load]  1.0s  fault: -',
      '[load]  2.0s  fault: broker-restart',
      '[load]  4.0s  fault: -',
      '[drain]  5.0s  fault: -',
    ]);
  });
});
