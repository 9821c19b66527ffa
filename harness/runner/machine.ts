import { cpus, hostname, platform, release, totalmem } from 'node:os';

/** The machine a run ran on, kept with its results: timings and rates mean little without it. */
export interface MachineInfo {
  host: string;
  os: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
}

export function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    host: hostname(),
    os: `${platform()} ${release()}`,
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}
