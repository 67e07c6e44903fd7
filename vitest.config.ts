import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts', 'test/protocol/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
