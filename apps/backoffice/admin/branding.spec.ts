import { describe, expect, it } from '@jest/globals';
import { contrastWithWhite, MIN_CONTRAST, sniffImage } from './branding.js';

describe('branding rules', () => {
  it('computes the WCAG contrast ratio against white', () => {
    expect(contrastWithWhite('#ffffff')).toBeCloseTo(1, 5);
    expect(contrastWithWhite('#000000')).toBeCloseTo(21, 5);
    expect(contrastWithWhite('#767676')).toBeGreaterThanOrEqual(MIN_CONTRAST); // the lightest grey passing AA
    expect(contrastWithWhite('#777777')).toBeLessThan(MIN_CONTRAST);
    expect(contrastWithWhite('#ffcc00')).toBeCloseTo(1.51, 2);
  });

  it('reads the image type from the bytes, never from a name, and refuses SVG and text', () => {
    expect(sniffImage(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png');
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImage(Buffer.from('GIF89a……', 'latin1'))).toBe('image/gif');
    expect(sniffImage(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]))).toBe('image/webp');
    expect(sniffImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImage(Buffer.from('RIFF0000WAVE'))).toBeNull();
    expect(sniffImage(Buffer.alloc(0))).toBeNull();
  });
});
