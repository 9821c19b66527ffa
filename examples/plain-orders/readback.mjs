// GET /processed: every id the consumer recorded in DATA_DIR/processed.log, in order, repeats kept
// (a repeat would be the consumer's bug, and whoever reads this should see it). A separate process
// with no broker connection, so it still answers after the API and the consumer have stopped.
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';

const port = Number(process.env.HTTP_PORT);
const dataDir = process.env.DATA_DIR;
if (!port || !dataDir) {
  console.error('readback: HTTP_PORT and DATA_DIR: expected both in the environment');
  process.exit(1);
}
const path = join(dataDir, 'processed.log');

/** Whole lines only: a line without its newline is a write the consumer had not finished (nor acked). */
function processedIds() {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean);
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'GET') return send(res, 405, { error: 'expected GET' });
  if (req.url === '/health') return send(res, 200, { ok: true });
  if (req.url === '/processed') return send(res, 200, processedIds());
  send(res, 404, { error: 'expected GET /processed or GET /health' });
});
server.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ ready: true, httpPort: port })));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
