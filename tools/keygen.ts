/**
 * Generates an update-channel signing key.
 *
 *   npx tsx tools/keygen.ts --out keys/ --name targets-1 [--type ed25519|ecdsa-p256]
 *
 * Writes `<name>.key.json` (private, mode 0600, never overwritten) and `<name>.pub.json` (public half, what
 * `publish.ts root` needs for roles whose private key lives elsewhere), and prints the keyid.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSigningKey, writeKeyFile } from './lib/keys';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: '.' },
    name: { type: 'string' },
    type: { type: 'string', default: 'ed25519' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || !values.name) {
  console.log('usage: npx tsx tools/keygen.ts --name NAME [--out DIR] [--type ed25519|ecdsa-p256]');
  process.exit(values.help ? 0 : 2);
}
if (values.type !== 'ed25519' && values.type !== 'ecdsa-p256') {
  console.error(`unknown --type ${values.type}`);
  process.exit(2);
}
mkdirSync(values.out, { recursive: true });
const key = generateSigningKey(values.type);
writeKeyFile(join(values.out, `${values.name}.key.json`), key);
writeFileSync(
  join(values.out, `${values.name}.pub.json`),
  `${JSON.stringify({ keytype: key.keytype, keyid: key.keyid, public: key.public }, null, 2)}\n`,
);
console.log(`${values.name}: ${key.keytype} keyid ${key.keyid}`);
