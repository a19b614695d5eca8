import { describe, expect, it } from '@jest/globals';
import { codeOfStatus, isTransient, KubeError } from './errors.js';

describe('codeOfStatus', () => {
  it.each([
    { status: 404, reason: undefined, code: 'NOT_FOUND' },
    { status: 409, reason: 'AlreadyExists', code: 'ALREADY_EXISTS' },
    { status: 409, reason: 'Conflict', code: 'CONFLICT' },
    { status: 401, reason: 'Unauthorized', code: 'UNAUTHORIZED' },
    { status: 403, reason: 'Forbidden', code: 'FORBIDDEN' },
    { status: 410, reason: 'Expired', code: 'GONE' },
    { status: 422, reason: 'Invalid', code: 'INVALID' },
    { status: 429, reason: 'TooManyRequests', code: 'UNAVAILABLE' },
    { status: 503, reason: undefined, code: 'UNAVAILABLE' },
    { status: 0, reason: undefined, code: 'UNAVAILABLE' },
    { status: 418, reason: undefined, code: 'API_ERROR' },
  ])('HTTP $status ($reason) is $code', ({ status, reason, code }) => {
    expect(codeOfStatus(status, reason)).toBe(code);
  });

  it('only unavailability is transient', () => {
    expect(isTransient(new KubeError('UNAVAILABLE', 'down', { status: 503 }))).toBe(true);
    expect(isTransient(new KubeError('CONFLICT', 'changed', { status: 409 }))).toBe(false);
    expect(isTransient(new Error('not a KubeError'))).toBe(false);
  });
});
