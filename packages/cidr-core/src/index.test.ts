import { describe, expect, it } from '@jest/globals';
import { placeholder } from './index.js';

describe('x', () => {
  it('y', () => {
    expect(placeholder).toBe(1);
  });
});
