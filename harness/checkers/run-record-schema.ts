import { z } from 'zod';

/**
 * The parts of a run the checkers read that are stored on disk (results.json, broker-figures.json,
 * processed.json), typed where they are parsed: a stored run judged again (`npm run check`) must
 * fail on a malformed file with a message naming the field, not crash in the middle of a checker.
 * Fields the checkers do not read stay loose (passthrough), so older or richer files still parse.
 */

const finalReadSchema = z.object({
  queues: z.array(z.object({ name: z.string(), messages: z.number().int().min(0) })),
  messages: z.number().int().min(0),
  complete: z.boolean(),
  error: z.string().optional(),
});

/** What results.json must hold for its run to be judged again. */
export const storedRunSchema = z
  .object({
    scenario: z.string().min(1),
    /** Absent in runs stored before targets existed: those were all of the reference system. */
    target: z.object({ name: z.string().min(1), ref: z.string().min(1) }).optional(),
    runDir: z.string().optional(),
    options: z.looseObject({ clientRetries: z.number().int().min(0).optional() }),
    system: z.record(z.string(), z.unknown()).default({}),
    finalRead: finalReadSchema.optional(),
  })
  .loose();

export type StoredRun = z.output<typeof storedRunSchema>;

const channelSampleSchema = z.object({
  t: z.number(),
  connectionName: z.string(),
  consumerCount: z.number(),
  prefetchCount: z.number(),
  unacked: z.number(),
});

/** broker-figures.json: channel samples (prefetch-fairness) and the queues at the end. */
export const brokerFiguresSchema = z
  .object({
    channelSamples: z.array(channelSampleSchema).default([]),
    queues: z.array(z.looseObject({ name: z.string() })).optional(),
  })
  .loose();

/** processed.json: a black-box target's own list of what it processed, repeats kept. */
export const processedSchema = z.array(z.string());

const effectRowSchema = z.object({ orderId: z.string(), kind: z.string().min(1), count: z.number().int().min(0) });

/** The target's effects (harness/target/target.ts TargetEffects), when a run stores them. */
export const targetEffectsSchema = z.object({
  rows: z.array(effectRowSchema),
  requiredKinds: z.array(z.string()),
  storedOrders: z.array(z.string()).optional(),
  requiredWhenFailed: z.array(z.string()).optional(),
  forbiddenWhenCompleted: z.array(z.string()).optional(),
  forbiddenWhenFailed: z.array(z.string()).optional(),
  together: z.array(z.tuple([z.string(), z.string()])).optional(),
  bookkeepingKinds: z.array(z.string()).optional(),
  invariants: z
    .array(z.object({ name: z.string(), checked: z.number(), violations: z.array(z.object({ subject: z.string(), note: z.string() })) }))
    .optional(),
  unreadable: z.array(z.string()).optional(),
  deadLetters: z.array(z.object({ messageId: z.string(), queue: z.string(), reason: z.string() })).optional(),
  deadLettersUnreadable: z.string().optional(),
});

export class StoredRunShapeError extends Error {
  constructor(
    readonly file: string,
    problems: string,
  ) {
    super(`${file} is not a run the checkers can read: ${problems}`);
    this.name = 'StoredRunShapeError';
  }
}

/** Parses one stored file with its schema; a mismatch names the file, each bad field and what was expected. */
export function parseStored<S extends z.ZodType>(schema: S, raw: unknown, file: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new StoredRunShapeError(file, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
}
