import { describe, expect, it } from '@jest/globals';
import { formatMbps, parseBandwidth } from './bandwidth.js';

describe('parseBandwidth', () => {
  it.each<{ text: string; mbps: number }>`
    text           | mbps
    ${'200Gbps'}   | ${200_000}
    ${'100G'}      | ${100_000}
    ${'100g'}      | ${100_000}
    ${'25000Mbps'} | ${25_000}
    ${'2.5Gbit/s'} | ${2_500}
    ${'1Tbps'}     | ${1_000_000}
    ${' 40 G '}    | ${40_000}
    ${'500kbps'}   | ${0.5}
  `('$text = $mbps Mbps', ({ text, mbps }) => {
    expect(parseBandwidth(text)).toEqual({ ok: true, value: mbps });
  });

  it.each<{ text: string }>`
    text
    ${'200'}
    ${'200GB'}
    ${'fast'}
    ${'0G'}
    ${'-5G'}
    ${''}
  `('rejects $text with a message naming it', ({ text }) => {
    const result = parseBandwidth(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('invalid-argument');
      expect(result.error.message).toContain(JSON.stringify(text));
    }
  });

  it.each<{ mbps: number; text: string }>`
    mbps       | text
    ${200_000} | ${'200Gbps'}
    ${1_500}   | ${'1500Mbps'}
    ${25_000}  | ${'25Gbps'}
  `('formats $mbps as $text', ({ mbps, text }) => {
    expect(formatMbps(mbps)).toBe(text);
  });
});
