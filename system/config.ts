import { z } from 'zod';
import { FLAW_NAMES, type FlawName } from './flaws.ts';

/** The kinds of process the reference system is made of. */
export const ROLES = ['api', 'orders', 'payments', 'inventory', 'notifications', 'dead-letter'] as const;
export type Role = (typeof ROLES)[number];

/** Reference settings: what the system does when nobody asks for anything else. */
export const DEFAULT_PREFETCH = 20;
/**
 * Messages one consumer works on at once (its simulated gateway calls), per queue. Equal to the
 * reference prefetch, so the reference never holds a delivery it cannot start on; a larger
 * prefetch (the `prefetch-unbounded` flaw) only adds deliveries waiting for a slot.
 */
export const DEFAULT_CONCURRENCY = 20;
export const DEFAULT_HEARTBEAT_SECONDS = 5;
export const DEFAULT_CONFIRM_TIMEOUT_MS = 5_000;
export const DEFAULT_INITIAL_STOCK = 1_000_000;

const configSchema = z
  .object({
    role: z.enum(ROLES),
    /** Unique name of this process, e.g. `payments-2`; appears in history, metrics and consumer tags. */
    instance: z.string().min(1),
    /** Publishing and consuming use separate connections (RabbitMQ blocks publishing connections under alarms). */
    publishUrl: z.string().url(),
    consumeUrl: z.string().url(),
    /**
     * In a cluster: every node's URL in node order, the first one `publishUrl` / `consumeUrl`; the
     * connections fail over along them. Empty (the default): `publishUrl` / `consumeUrl` alone.
     */
    publishUrls: z.array(z.string().url()).default([]),
    consumeUrls: z.array(z.string().url()).default([]),
    /** The broker is a cluster: queues are replicated quorum queues (see system/amqp/topology.ts). */
    cluster: z.boolean().default(false),
    heartbeatSeconds: z.number().int().min(0).default(DEFAULT_HEARTBEAT_SECONDS),
    dataDir: z.string().min(1),
    historyFile: z.string().min(1),
    flaws: z.array(z.enum(FLAW_NAMES as [FlawName, ...FlawName[]])).default([]),
    prefetch: z.number().int().min(1).default(DEFAULT_PREFETCH),
    /** Simulated work per message (e.g. a payment gateway call), in milliseconds. */
    processingMs: z.number().min(0).default(0),
    /** How many messages per queue the simulated work runs for at once (see DEFAULT_CONCURRENCY). */
    concurrency: z.number().int().min(1).default(DEFAULT_CONCURRENCY),
    confirmTimeoutMs: z.number().int().min(1).default(DEFAULT_CONFIRM_TIMEOUT_MS),
    initialStock: z.number().int().min(0).default(DEFAULT_INITIAL_STOCK),
    /** HTTP port of the API (0 = any free port, reported on stdout when ready). */
    httpPort: z.number().int().min(0).max(65535).default(0),
    /** Port of this process's Prometheus /metrics endpoint (0 = any free port). The API serves it on httpPort. */
    metricsPort: z.number().int().min(0).max(65535).default(0),
    /** Interface the API and /metrics servers bind to: loopback by default, `0.0.0.0` inside a container. */
    listenHost: z.string().min(1).default('127.0.0.1'),
  })
  .refine((c) => c.publishUrls.length === 0 || c.publishUrls[0] === c.publishUrl, {
    path: ['publishUrls'],
    message: 'the first node URL must be publishUrl',
  })
  .refine((c) => c.consumeUrls.length === 0 || c.consumeUrls[0] === c.consumeUrl, {
    path: ['consumeUrls'],
    message: 'the first node URL must be consumeUrl',
  });

export type SystemProcessConfig = z.output<typeof configSchema>;
export type SystemProcessConfigInput = z.input<typeof configSchema>;

/** The environment variable a system process reads its configuration from (JSON). */
export const CONFIG_ENV = 'ORDER_SYSTEM_CONFIG';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseConfig(json: string | undefined): SystemProcessConfig {
  if (!json)
    throw new ConfigError(
      `${CONFIG_ENV} is not set: expected a JSON object with role, instance, publishUrl, consumeUrl, dataDir, historyFile`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`${CONFIG_ENV} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid ${CONFIG_ENV}: ${problems}`);
  }
  return parsed.data;
}
