import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { freePorts } from '../env/free-port.ts';
import { parseTargetJson, type TargetJson } from './target-json.ts';
import { fillPlaceholders, isPortPlaceholder, placeholdersIn } from './placeholders.ts';
import type { DeclaredTopology, StartedTarget, Target, TargetProcessSpec } from './target.ts';

/** The file that makes a directory a black-box target. */
export const TARGET_FILE = 'target.json';
/** A health or readback request that has not answered in this long is a "no". */
const HTTP_TIMEOUT_MS = 2_000;
/** The readback may list many ids: give it longer than a health check. */
const READBACK_TIMEOUT_MS = 10_000;

export class BlackBoxTargetError extends Error {
  override readonly name = 'BlackBoxTargetError';
}

/**
 * A system the harness knows only from its target.json: processes started as plain commands
 * (AMQP URLs, ports and directories passed through placeholders in their environment), loaded over
 * HTTP and judged end to end by the set checker on what it reads back. The harness never sees inside.
 */
export async function loadBlackBoxTarget(dir: string): Promise<Target> {
  const targetDir = resolve(dir);
  const file = join(targetDir, TARGET_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new BlackBoxTargetError(
      `${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
        `expected a target directory holding ${TARGET_FILE}`,
    );
  }
  const spec = parseTargetJson(text, file);
  return blackBoxTarget(spec, targetDir, portNames(spec, file));
}

/** Every placeholder is checked at load time, so a typo fails before a broker is started. */
function portNames(spec: TargetJson, file: string): string[] {
  const strings: [string, string][] = [
    ['api.url', spec.api.url],
    ['api.health', spec.api.health],
    ['readback.url', spec.readback.url],
    ...spec.processes.flatMap((p, i): [string, string][] => [
      [`processes.${i}.command`, p.command],
      ...p.args.map((a, k): [string, string] => [`processes.${i}.args.${k}`, a]),
      ...Object.entries(p.env).map(([k, v]): [string, string] => [`processes.${i}.env.${k}`, v]),
      ...(p.ready.kind === 'http' ? [[`processes.${i}.ready.url`, p.ready.url] as [string, string]] : []),
    ]),
    ...Object.entries(spec.flaws).flatMap(([name, flaw]) =>
      Object.entries(flaw.env).map(([k, v]): [string, string] => [`flaws.${name}.env.${k}`, v]),
    ),
  ];
  const names = strings.flatMap(([where, s]) => placeholdersIn(s, `${file}: ${where}`));
  return [...new Set(names.filter(isPortPlaceholder))];
}

function blackBoxTarget(spec: TargetJson, targetDir: string, portNames: readonly string[]): Target {
  // Chosen once per run by processes(); every restart of a process reuses the env, so keeps its port.
  let ports: Record<string, string> | undefined = portNames.length === 0 ? {} : undefined;
  const fixed = () => {
    if (!ports) throw new BlackBoxTargetError(`target ${spec.name}: started() before processes(): its ports are not chosen yet`);
    return { TARGET_DIR: targetDir, NODE: process.execPath, ...ports };
  };
  const fill = (text: string) => fillPlaceholders(text, fixed());
  return {
    name: spec.name,
    description: spec.description,
    flaws: Object.fromEntries(Object.entries(spec.flaws).map(([name, f]) => [name, { description: f.description }])),
    workload: spec.workload,
    topology: blackBoxTopology(spec.queues, spec.deadLetterQueue),
    baselineChecks: spec.baselineChecks,
    async processes(context): Promise<TargetProcessSpec[]> {
      const unknown = context.flaws.filter((f) => !(f in spec.flaws));
      if (unknown.length > 0) {
        throw new BlackBoxTargetError(
          `target ${spec.name}: unknown flaw ${unknown.join(', ')}; ` +
            `expected one of ${Object.keys(spec.flaws).join(', ') || '(none declared)'}`,
        );
      }
      const flawEnv = Object.assign({}, ...context.flaws.map((f) => spec.flaws[f]!.env)) as Record<string, string>;
      const numbers = await freePorts(portNames.length);
      ports = Object.fromEntries(portNames.map((name, i) => [name, String(numbers[i])]));
      const all = {
        ...fixed(),
        AMQP_PUBLISH_URL: context.endpoints.publishUrl,
        AMQP_CONSUME_URL: context.endpoints.consumeUrl,
        AMQP_PUBLISH_URLS: (context.endpoints.publishUrls ?? [context.endpoints.publishUrl]).join(','),
        AMQP_CONSUME_URLS: (context.endpoints.consumeUrls ?? [context.endpoints.consumeUrl]).join(','),
        DATA_DIR: context.dataDir,
        HISTORY_DIR: context.historyDir,
        RUN_DIR: context.runDir,
      };
      return spec.processes.map((p) => ({
        instance: p.instance,
        role: p.role,
        command: fillPlaceholders(p.command, all),
        args: p.args.map((a) => fillPlaceholders(a, all)),
        cwd: targetDir,
        env: Object.fromEntries(Object.entries({ ...p.env, ...flawEnv }).map(([k, v]) => [k, fillPlaceholders(v, all)])),
        ready: p.ready.kind === 'http' ? { kind: 'http', url: fillPlaceholders(p.ready.url, all) } : { kind: 'json-line' },
        ...(p.servesReadback ? { servesReadback: true } : {}),
      }));
    },
    started(): StartedTarget {
      const healthUrl = fill(spec.api.health);
      const readbackUrl = fill(spec.readback.url);
      return {
        apiUrl: fill(spec.api.url),
        healthy: () => answersOk(healthUrl),
        readProcessed: () => readProcessed(readbackUrl),
      };
    },
  };
}

/** What the checkers may assume of a black box: its queues, fed by the default exchange; no retries. */
export function blackBoxTopology(workQueues: readonly string[], deadLetterQueue?: string): DeclaredTopology {
  return {
    workQueues,
    bestEffortQueues: [],
    boundedQueues: {},
    ...(deadLetterQueue ? { deadLetterQueue } : {}),
    retryQueues: () => [],
    retryTarget: () => undefined,
    routesTo: (exchange, routingKey) => (exchange === '' && workQueues.includes(routingKey) ? [routingKey] : []),
    maxRetries: 0,
  };
}

async function answersOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

const idList = z.array(z.string());

export class ReadbackError extends Error {
  override readonly name = 'ReadbackError';
}

/** The target's own list of processed ids; an answer that is not a JSON array of strings is an error naming the URL. */
export async function readProcessed(url: string): Promise<string[]> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(READBACK_TIMEOUT_MS) });
  } catch (err) {
    throw new ReadbackError(`GET ${url}: no answer (${(err as Error).message})`);
  }
  const text = await response.text();
  if (!response.ok) throw new ReadbackError(`GET ${url}: HTTP ${response.status}; expected 200 with a JSON array of ids`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ReadbackError(`GET ${url}: expected a JSON array of ids, got ${JSON.stringify(text.slice(0, 80))}`);
  }
  const parsed = idList.safeParse(body);
  if (!parsed.success) throw new ReadbackError(`GET ${url}: expected a JSON array of id strings, got ${JSON.stringify(text.slice(0, 80))}`);
  return parsed.data;
}
