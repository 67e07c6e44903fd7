import { chromium } from 'playwright-core';
import { startStaticServer } from '../server/static-server';
const root = process.argv[2]!;
const server = await startStaticServer({ root });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
page.on('console', (m) => console.log('[console]', m.text()));
page.on('pageerror', (e) => console.log('[pageerror]', e.message));
page.on('requestfailed', (r) => console.log('[failed]', r.url()));
await page.goto(`${server.url}/index.html`);
try {
  await page.waitForFunction(() => (window as any).shopResult !== undefined, undefined, { timeout: 60_000 });
  console.log(JSON.stringify(await page.evaluate(() => (window as any).shopResult)).slice(0, 300));
} catch (e) { console.log('timeout', String(e).slice(0, 200)); }
console.log('wasm requested:', server.requests.filter((r) => r.url.endsWith('.wasm')).map((r) => r.url));
await browser.close(); await server.close();
