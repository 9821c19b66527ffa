import { HistoryWriter, type HistoryRecord } from '../../instrument/index.ts';
import type { ConnectionPurpose, SystemMetrics } from './system-metrics.ts';

/**
 * A history writer that also feeds the metrics whose facts are already written to the history by
 * code that knows nothing of metrics: connection lifecycle (managed-connection.ts names each
 * connection `<instance> publish|consume`) and the dead-letter auditor's `dead-lettered` events.
 * Every other metric is counted where it happens; this keeps those two sources untouched.
 */
export class MeteredHistoryWriter extends HistoryWriter {
  readonly #metrics: SystemMetrics;
  readonly #publishName: string;
  readonly #consumeName: string;

  constructor(file: string, proc: string, metrics: SystemMetrics) {
    super(file, proc);
    this.#metrics = metrics;
    this.#publishName = `${proc} publish`;
    this.#consumeName = `${proc} consume`;
  }

  override append(record: HistoryRecord): void {
    super.append(record);
    if (record.kind === 'lifecycle') this.#lifecycle(record.event, record.detail);
    else if (record.kind === 'dead-lettered') this.#metrics.deadLettered(record.queue, record.reason);
  }

  #lifecycle(event: string, detail: string | undefined): void {
    if (event !== 'connected' && event !== 'disconnected' && event !== 'blocked' && event !== 'unblocked') return;
    const purpose = this.#purpose(detail);
    if (!purpose) return;
    if (event === 'connected' || event === 'disconnected') this.#metrics.connectionState(purpose, event === 'connected');
    else this.#metrics.connectionBlocked(purpose, event === 'blocked');
  }

  /** The detail starts with the connection's name, optionally followed by `: why`. */
  #purpose(detail: string | undefined): ConnectionPurpose | undefined {
    if (!detail) return undefined;
    if (isName(detail, this.#publishName)) return 'publish';
    if (isName(detail, this.#consumeName)) return 'consume';
    return undefined;
  }
}

function isName(detail: string, name: string): boolean {
  return detail === name || detail.startsWith(`${name}:`);
}
