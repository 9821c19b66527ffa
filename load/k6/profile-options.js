// Turns a profile from load/profiles.json into k6 `options` (scenario + thresholds).
// Plain JS with no k6 imports, so Node tests can check it against load/profiles.ts (resolveProfile):
// the override rules below mirror that file and test/unit/load/profile-parity.test.ts keeps them equal.
// Units in profiles.json: rates per second (timeUnit 1s), durations in seconds; k6 gets durations as "<n>ms".

export const SCENARIO_NAME = 'orders';
export const DEFAULT_PROFILE = 'smoke';
const MIN_CONSTANT_DURATION_SECONDS = 1;

// The shape of profiles.json as this file reads it (load/profiles.ts validates the same file with zod).
/**
 * @typedef {{ maxFailedRate: number, maxDroppedIterations: number, maxP99Ms: number }} ProfileThresholds
 * @typedef {{ executor: string, rate: number, duration: number, startRate: number, stages: { target: number, duration: number }[],
 *   preAllocated: number, maxInFlight: number, thresholds: ProfileThresholds }} ProfileEntry
 * @typedef {{ requestTimeoutMs: number, profiles: Record<string, ProfileEntry> }} ProfilesDoc
 * @typedef {import('./profile-options.js').K6Scenario} K6Scenario
 * @typedef {import('./profile-options.js').K6Overrides} K6Overrides
 * @typedef {Record<string, string | undefined>} Env
 */

/** @param {string} message @returns {never} */
function fail(message) {
  throw new Error(message);
}

/** @param {number} seconds */
function toMs(seconds) {
  return Math.round(seconds * 1000);
}

/** @param {number} ms */
function k6Duration(ms) {
  return ms + 'ms';
}

/** @param {Env} env @param {string} key @param {number} min */
function parseIntegerEnv(env, key, min) {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(key + ': expected an integer >= ' + min + ', got "' + raw + '"');
  return n;
}

/** @param {Env} env @param {string} key */
function parseSecondsEnv(env, key) {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < MIN_CONSTANT_DURATION_SECONDS) {
    fail(key + ': expected seconds >= ' + MIN_CONSTANT_DURATION_SECONDS + ', got "' + raw + '"');
  }
  return n;
}

/** @param {number[]} durationsMs @param {number} totalMs */
function stretchStages(durationsMs, totalMs) {
  const originalTotal = durationsMs.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  let previousEnd = 0;
  return durationsMs.map((d) => {
    cumulative += d;
    const end = Math.round((cumulative * totalMs) / originalTotal);
    const stretched = end - previousEnd;
    previousEnd = end;
    return stretched;
  });
}

/**
 * The k6 scenario and thresholds for profile `name` of the parsed profiles.json, with optional overrides
 * { rate, duration, maxInFlight } (same meaning as resolveProfile in load/profiles.ts).
 * @param {unknown} profilesDoc
 * @param {string} name
 * @param {K6Overrides} [overrides]
 * @returns {import('./profile-options.js').K6ProfileOptions}
 */
export function k6ProfileOptions(profilesDoc, name, overrides) {
  const o = overrides || {};
  const doc = /** @type {ProfilesDoc} */ (profilesDoc);
  const profiles = (doc && doc.profiles) || fail('profiles.json: expected a "profiles" object');
  if (!Object.prototype.hasOwnProperty.call(profiles, name)) {
    fail('unknown load profile "' + name + '": expected one of ' + Object.keys(profiles).join(', '));
  }
  const p = /** @type {ProfileEntry} */ (profiles[name]);
  const isConstant = p.executor === 'constant-arrival-rate';
  if (!isConstant && p.executor !== 'ramping-arrival-rate') {
    fail('profiles.' + name + '.executor: expected constant-arrival-rate or ramping-arrival-rate, got ' + p.executor);
  }

  const peak = isConstant ? p.rate : p.stages.reduce((m, s) => Math.max(m, s.target), p.startRate);
  const factor = o.rate === undefined ? 1 : o.rate / peak;
  const scaleRate = (/** @type {number} */ r) => Math.round(r * factor);
  const maxVUs = o.maxInFlight !== undefined ? o.maxInFlight : Math.max(1, Math.ceil(p.maxInFlight * factor));
  const preAllocatedVUs = Math.min(maxVUs, Math.max(1, Math.ceil(p.preAllocated * factor)));
  const gracefulStop = k6Duration(doc.requestTimeoutMs);

  /** @type {K6Scenario} */
  let scenario;
  if (isConstant) {
    scenario = {
      executor: 'constant-arrival-rate',
      rate: scaleRate(p.rate),
      timeUnit: '1s',
      duration: k6Duration(toMs(o.duration !== undefined ? o.duration : p.duration)),
      preAllocatedVUs: preAllocatedVUs,
      maxVUs: maxVUs,
      gracefulStop: gracefulStop,
    };
  } else {
    const originalMs = p.stages.map((s) => toMs(s.duration));
    const stagesMs = o.duration === undefined ? originalMs : stretchStages(originalMs, toMs(o.duration));
    scenario = {
      executor: 'ramping-arrival-rate',
      startRate: scaleRate(p.startRate),
      timeUnit: '1s',
      stages: p.stages.map((s, k) => ({ target: scaleRate(s.target), duration: k6Duration(/** @type {number} */ (stagesMs[k])) })),
      preAllocatedVUs: preAllocatedVUs,
      maxVUs: maxVUs,
      gracefulStop: gracefulStop,
    };
  }

  const t = p.thresholds;
  /** @type {Record<string, K6Scenario>} */
  const scenarios = {};
  scenarios[SCENARIO_NAME] = scenario;
  return {
    scenarios: scenarios,
    thresholds: {
      http_req_failed: ['rate<=' + t.maxFailedRate],
      dropped_iterations: ['count<=' + t.maxDroppedIterations],
      http_req_duration: ['p(99)<=' + t.maxP99Ms],
    },
  };
}

/**
 * Everything orders.js needs from its environment: PROFILE (default smoke), API_URL (required),
 * RATE, DURATION (seconds), MAX_IN_FLIGHT, SEED (default 1).
 * @param {unknown} profilesDoc
 * @param {Env} env
 * @returns {ReturnType<typeof import('./profile-options.js').k6RunConfig>}
 */
export function k6RunConfig(profilesDoc, env) {
  const name = env.PROFILE || DEFAULT_PROFILE;
  const apiUrl = env.API_URL || fail('API_URL: expected the order API base URL, e.g. -e API_URL=http://127.0.0.1:3000');
  const overrides = {
    rate: parseIntegerEnv(env, 'RATE', 1),
    duration: parseSecondsEnv(env, 'DURATION'),
    maxInFlight: parseIntegerEnv(env, 'MAX_IN_FLIGHT', 1),
  };
  const seed = parseIntegerEnv(env, 'SEED', 0);
  const base = k6ProfileOptions(profilesDoc, name, overrides);
  return {
    profile: name,
    ordersUrl: apiUrl.replace(/\/+$/, '') + '/orders',
    seed: seed === undefined ? 1 : seed,
    requestTimeout: k6Duration(/** @type {ProfilesDoc} */ (profilesDoc).requestTimeoutMs),
    options: {
      scenarios: base.scenarios,
      thresholds: base.thresholds,
      discardResponseBodies: true,
      summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'],
    },
  };
}
