import { expect } from 'vitest';
import { isLocalshelfError, type ErrorCode } from '../../src/errors';

/** The `code` a promise rejects with; fails the test if it resolves or rejects with anything but a LocalshelfError. */
export async function rejectionCode(p: Promise<unknown>): Promise<ErrorCode> {
  try {
    await p;
  } catch (e) {
    expect(isLocalshelfError(e), String(e)).toBe(true);
    return (e as { code: ErrorCode }).code;
  }
  throw new Error('expected a rejection');
}
