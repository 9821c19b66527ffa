// Types for the plain-JS k6 options builder, so TypeScript tests can compare it with load/profiles.ts.
export interface K6ConstantScenario {
  executor: 'constant-arrival-rate';
  rate: number;
  timeUnit: string;
  duration: string;
  preAllocatedVUs: number;
  maxVUs: number;
  gracefulStop: string;
}
export interface K6RampingScenario {
  executor: 'ramping-arrival-rate';
  startRate: number;
  timeUnit: string;
  stages: { target: number; duration: string }[];
  preAllocatedVUs: number;
  maxVUs: number;
  gracefulStop: string;
}
export type K6Scenario = K6ConstantScenario | K6RampingScenario;
export interface K6ProfileOptions {
  scenarios: Record<string, K6Scenario>;
  thresholds: Record<string, string[]>;
}
export interface K6Overrides {
  rate?: number;
  duration?: number;
  maxInFlight?: number;
}
export declare const SCENARIO_NAME: string;
export declare const DEFAULT_PROFILE: string;
export declare function k6ProfileOptions(profilesDoc: unknown, name: string, overrides?: K6Overrides): K6ProfileOptions;
export declare function k6RunConfig(
  profilesDoc: unknown,
  env: Record<string, string | undefined>,
): {
  profile: string;
  ordersUrl: string;
  seed: number;
  requestTimeout: string;
  options: K6ProfileOptions & { discardResponseBodies: boolean; summaryTrendStats: string[] };
};
