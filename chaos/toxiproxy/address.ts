// host:port strings as Toxiproxy accepts and prints them (Go's net.SplitHostPort / JoinHostPort).
import { BlockList, isIP, isIPv6 } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

/** A listen or upstream address Go's net package would refuse. */
export class InvalidAddressError extends Error {
  override readonly name = 'InvalidAddressError';
}

const MAX_PORT = 65_535;
const IPV4_LOOPBACK_PREFIX_BITS = 8;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', IPV4_LOOPBACK_PREFIX_BITS, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Splits "host:port", "[v6]:port" or ":port"; the message says what was wrong, as Go's does. */
export function parseHostPort(address: string): HostPort {
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) throw new InvalidAddressError(`address ${address}: missing ']' in address`);
    host = address.slice(1, close);
    if (address[close + 1] !== ':') throw new InvalidAddressError(`address ${address}: missing port in address`);
    portText = address.slice(close + 2);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) throw new InvalidAddressError(`address ${address}: missing port in address`);
    host = address.slice(0, colon);
    if (host.includes(':')) throw new InvalidAddressError(`address ${address}: too many colons in address`);
    portText = address.slice(colon + 1);
  }
  const port = portText === '' ? 0 : Number(portText);
  if (!/^\d*$/.test(portText) || !Number.isInteger(port) || port > MAX_PORT) {
    throw new InvalidAddressError(`address ${address}: invalid port`);
  }
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The host to bind for a listen address: Go binds a name like localhost to its IPv4 address, and an empty
 * host to every interface (shown as [::]).
 */
export function bindHost(host: string): string {
  if (host === '') return '::';
  if (host === 'localhost') return '127.0.0.1';
  return host;
}

/**
 * Whether binding `host` keeps a listener on this machine: 127.0.0.0/8, ::1 (any spelling, or IPv4-mapped)
 * and `localhost`, which bindHost turns into 127.0.0.1. An empty host means every interface; any other
 * name could resolve to anything.
 */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 0) return false;
  return LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}
