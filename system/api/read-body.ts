import type { IncomingMessage } from 'node:http';

/** Beyond this, a client is not sending an order: stop reading and close the connection. */
const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024;

export type BodyResult = { kind: 'ok'; text: string } | { kind: 'too-large'; bytes: number; closeConnection: boolean };

/**
 * Reads a request body up to `limit` bytes. A longer body is read to its end and discarded (so
 * the client gets the 400 instead of a reset mid-upload) unless it is absurdly long.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= limit) chunks.push(chunk);
      else if (bytes > DISCARD_LIMIT_BYTES) {
        req.pause();
        resolve({ kind: 'too-large', bytes, closeConnection: true });
      }
    });
    req.on('end', () =>
      resolve(
        bytes > limit ? { kind: 'too-large', bytes, closeConnection: false } : { kind: 'ok', text: Buffer.concat(chunks).toString('utf8') },
      ),
    );
    req.on('error', reject);
  });
}
