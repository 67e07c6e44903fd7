/**
 * `localshelf/react` in real Chromium (StrictMode, the built entry): the shelf renders recommendations, a new
 * request re-renders it, search results follow the query, and unmounting disposes the recommender's worker.
 */
import { expect, test } from './fixtures';

test('useRecommender / useRecommendations / useSearch: render, re-render on a new request, dispose on unmount', async ({ page, server }) => {
  await page.goto(`${server.url}/react.html`);
  await expect(page.locator('#recs li')).toHaveCount(3, { timeout: 60_000 });
  await expect.poll(() => page.workers().length).toBe(1); // StrictMode's first mount was disposed
  await page.evaluate(() => window.shelfApp.setK(5));
  await expect(page.locator('#recs li')).toHaveCount(5);
  await page.evaluate(() => window.shelfApp.setQuery('nail polish'));
  await expect(page.locator('#hits li')).toHaveCount(2);
  await page.evaluate(() => window.shelfApp.setQuery('  '));
  await expect(page.locator('#recs li')).toHaveCount(5);
  await page.evaluate(() => window.shelfApp.unmount());
  await expect.poll(() => page.workers().length).toBe(0);
});
