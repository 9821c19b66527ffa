// What /proc says about processes a test started or a run recorded: alive (the same process, not a
// reused PID), members of a process group, listening TCP sockets. Linux only, like the harness's reaper.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildRecord } from '../../harness/env/child-registry.ts';
import { processIdentity } from '../../harness/env/proc-info.ts';

/** Alive and not a zombie; with `startTime`, also still the same process (a PID may be reused). */
export function isAlive(pid: number, startTime?: number): boolean {
  const now = processIdentity(pid);
  return now !== undefined && now.state !== 'Z' && (startTime === undefined || now.startTime === startTime);
}

/** Every live process whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  return allPids().filter((pid) => {
    const identity = processIdentity(pid);
    return identity !== undefined && identity.pgrp === pgid && identity.state !== 'Z';
  });
}

/** Live processes whose command line mentions `text` (a run's directory is in its broker's arguments). */
export function processesMentioning(text: string): number[] {
  return allPids().filter((pid) => {
    const identity = processIdentity(pid);
    return identity !== undefined && identity.state !== 'Z' && identity.cmdline.includes(text);
  });
}

export function readProcessRecords(runDir: string): ChildRecord[] {
  try {
    return readFileSync(join(runDir, 'processes.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as ChildRecord);
  } catch {
    return [];
  }
}

/** The process's listening TCP sockets as `address:port` (IPv6 in brackets), from /proc/net/tcp{,6}. */
export function listeningSockets(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of safeReaddir(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const sockets: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of safeRead(table).split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state, , , , , , inode] = fields;
      if (!local || state !== LISTEN || !inode || !inodes.has(inode)) continue;
      sockets.push(decodeProcAddress(local));
    }
  }
  return sockets;
}

const LISTEN = '0A';

/** `0100007F:1F90` -> `127.0.0.1:8080`; IPv6 as four little-endian 32-bit words -> `[::1]:8080` style (uncompressed). */
export function decodeProcAddress(hex: string): string {
  const [address, port] = hex.split(':') as [string, string];
  const portNumber = parseInt(port, 16);
  const words = address.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return `${bytes.join('.')}:${portNumber}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `[${groups.join(':')}]:${portNumber}`;
}

/** 127.0.0.0/8, ::1, or an IPv4-mapped loopback. */
export function isLoopback(socket: string): boolean {
  if (/^127\.\d+\.\d+\.\d+:\d+$/.test(socket)) return true;
  if (socket.startsWith('[0:0:0:0:0:0:0:1]:')) return true;
  return /^\[0:0:0:0:0:ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]:\d+$/.test(socket);
}

function allPids(): number[] {
  return safeReaddir('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
