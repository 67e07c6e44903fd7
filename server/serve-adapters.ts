/**
 * Serves an update-channel repository with the reference server until interrupted.
 *
 *   npx tsx server/serve-adapters.ts --root channel/ [--port 8787] [--host 127.0.0.1]
 */
import { parseArgs } from 'node:util';
import { startAdapterServer } from './adapter-server';

const { values } = parseArgs({
  options: { root: { type: 'string' }, port: { type: 'string', default: '8787' }, host: { type: 'string', default: '127.0.0.1' } },
});
if (!values.root) {
  console.error('usage: npx tsx server/serve-adapters.ts --root DIR [--port N] [--host 127.0.0.1]');
  process.exit(2);
}
const server = await startAdapterServer({ root: values.root, port: Number(values.port), host: values.host });
console.log(`serving ${values.root} at ${server.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
