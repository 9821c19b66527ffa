import { z } from 'zod';

/**
 * target.json: a system the harness starts as plain commands and judges end to end, described as
 * data (see examples/plain-orders/target.json). Strings may hold `${...}` placeholders the harness
 * fills at run time (harness/target/placeholders.ts).
 */

const nonEmpty = z.string().min(1, 'expected a non-empty string');
const status = z.number().int().min(100).max(599);
const httpUrl = nonEmpty.refine((s) => /^https?:\/\//.test(s), 'expected an http:// URL (placeholders allowed)');

const processSchema = z.object({
  /** Unique in the target, e.g. `consumer-1`: names its log and history files. */
  instance: nonEmpty.regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lowercase letters, digits and dashes'),
  /** `api` for the process taking the workload's requests; the consuming stage's name otherwise. */
  role: nonEmpty,
  command: nonEmpty,
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  ready: z.discriminatedUnion('kind', [z.object({ kind: z.literal('json-line') }), z.object({ kind: z.literal('http'), url: httpUrl })]),
  /** Serves the readback with no broker connection: keeps running through the final read (harness/target/target.ts). */
  servesReadback: z.boolean().default(false),
});

const workloadSchema = z
  .object({
    path: nonEmpty.startsWith('/', 'expected a path starting with /'),
    body: z.enum(['reference-order', 'id-only']),
    okStatuses: z.array(status).min(1, 'expected at least one status meaning "accepted"'),
    refusedStatuses: z.array(status).default([]),
  })
  .refine((w) => !w.okStatuses.some((s) => w.refusedStatuses.includes(s)), {
    message: 'expected okStatuses and refusedStatuses to share no status',
  });

const flawSchema = z.object({
  description: nonEmpty,
  /** Added to every process's environment when the flaw is planted. */
  env: z.record(z.string(), z.string()).default({}),
});

export const targetJsonSchema = z
  .object({
    name: nonEmpty,
    description: nonEmpty,
    processes: z.array(processSchema).min(1, 'expected at least one process'),
    /** Where the workload is sent (`workload.path` is appended) and how to tell the system serves. */
    api: z.object({ url: httpUrl, health: httpUrl }),
    workload: workloadSchema,
    /** The system's own list of what it processed: GET answering a JSON array of ids, repeats kept. */
    readback: z.object({ url: httpUrl }),
    /** The queues the system consumes: read back by id at the end of a run (an accepted id still there is stuck). */
    queues: z.array(nonEmpty).min(1, 'expected the queues the system consumes'),
    deadLetterQueue: nonEmpty.optional(),
    flaws: z
      .record(z.string().regex(/^[a-z0-9-]+$/, 'expected a flaw name of lowercase letters, digits and dashes'), flawSchema)
      .default({}),
    baselineChecks: z.array(nonEmpty).default(['set']),
  })
  .refine((t) => new Set(t.processes.map((p) => p.instance)).size === t.processes.length, {
    message: 'expected every process instance name once',
    path: ['processes'],
  })
  .refine((t) => t.processes.some((p) => p.role === 'api'), {
    message: 'expected one process with role "api" (it takes the workload)',
    path: ['processes'],
  });

export type TargetJson = z.output<typeof targetJsonSchema>;

export class InvalidTargetJsonError extends Error {
  override readonly name = 'InvalidTargetJsonError';
}

/** Parses target.json's text; every problem is named by its field path and what was expected. */
export function parseTargetJson(text: string, file: string): TargetJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidTargetJsonError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = targetJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new InvalidTargetJsonError(`${file}: ${problems.join('; ')}`);
  }
  return parsed.data;
}
