// Each queue's depth and consumer slots during a step's load, from the broker's management API:
// how fast its backlog grew and how much of its consumers' prefetch was in use. A queue whose
// consumers hold every slot and whose backlog grows is the stage that limits the pipeline.

const REQUEST_TIMEOUT_MS = 2_000;

export interface QueueSample {
  /** performance.now() when read. */
  at: number;
  queue: string;
  ready: number;
  unacked: number;
  consumers: number;
  /** Sum of the consumers' prefetch counts: deliveries the queue's consumers may hold at once (0 = unlimited or none). */
  slots: number;
}

export interface QueueLoad {
  queue: string;
  consumers: number;
  slots: number;
  /** (ready + unacked) at the last sample minus the first, per second between them. */
  backlogGrowthPerSecond: number;
  /** ready + unacked at the last sample. */
  depthAtEnd: number;
  /** Mean over the samples of unacked / slots (null without a bounded prefetch). */
  slotUtilisation: number | null;
  maxSlotUtilisation: number | null;
  samples: number;
}

/** Reads queues and consumers once; resolves undefined when the management API does not answer (it may not be running). */
export async function readQueueSamples(managementUrl: string, user: string, password: string): Promise<QueueSample[] | undefined> {
  const base = managementUrl.replace(/\/+$/, '');
  const headers = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(base + path, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.json()) as T;
  };
  try {
    const at = performance.now();
    const [queues, consumers] = await Promise.all([
      get<Record<string, unknown>[]>('/api/queues?columns=name,messages_ready,messages_unacknowledged,consumers'),
      get<{ queue?: { name?: unknown }; prefetch_count?: unknown }[]>('/api/consumers'),
    ]);
    const slots = new Map<string, number>();
    for (const c of consumers) {
      const name = typeof c.queue?.name === 'string' ? c.queue.name : undefined;
      if (name) slots.set(name, (slots.get(name) ?? 0) + num(c.prefetch_count));
    }
    return queues.map((q) => ({
      at,
      queue: String(q.name),
      ready: num(q.messages_ready),
      unacked: num(q.messages_unacknowledged),
      consumers: num(q.consumers),
      slots: slots.get(String(q.name)) ?? 0,
    }));
  } catch {
    return undefined;
  }
}

/** Pure: per queue, from samples taken during the load (any order, several queues mixed). */
export function queueLoads(samples: readonly QueueSample[]): QueueLoad[] {
  const byQueue = new Map<string, QueueSample[]>();
  for (const s of samples) byQueue.set(s.queue, [...(byQueue.get(s.queue) ?? []), s]);
  return [...byQueue].map(([queue, list]) => {
    const sorted = [...list].sort((a, b) => a.at - b.at);
    const first = sorted[0]!;
    const last = sorted.at(-1)!;
    const seconds = (last.at - first.at) / 1000;
    const depth = (s: QueueSample) => s.ready + s.unacked;
    const used = sorted.filter((s) => s.slots > 0).map((s) => Math.min(1, s.unacked / s.slots));
    return {
      queue,
      consumers: last.consumers,
      slots: last.slots,
      backlogGrowthPerSecond: seconds > 0 ? (depth(last) - depth(first)) / seconds : 0,
      depthAtEnd: depth(last),
      slotUtilisation: used.length ? used.reduce((a, b) => a + b, 0) / used.length : null,
      maxSlotUtilisation: used.length ? Math.max(...used) : null,
      samples: sorted.length,
    };
  });
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
