import { describe, expect, it } from 'vitest';
import { createTurns } from '../../../workers/runtime/turns';

describe('createTurns', () => {
  it('runs tasks one at a time in call order; a rejected task does not hold up the next', async () => {
    const turns = createTurns();
    const log: string[] = [];
    let running = 0;
    const task = (name: string, fail = false) => async (): Promise<string> => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`end ${name}`);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([turns(task('a')), turns(task('b', true)), turns(task('c'))]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'b', 'c']);
    expect(results[1]!.status).toBe('rejected');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});
