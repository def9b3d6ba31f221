import { describe, expect, it } from '@jest/globals';
import { detectMimeType, MIME } from './mime-sniff.js';
import { SAMPLES, zipEntry } from './mime-samples.test-helper.js';

describe('detectMimeType (magic bytes)', () => {
  it.each([
    ['pdf', MIME.PDF],
    ['png', MIME.PNG],
    ['jpeg', MIME.JPEG],
    ['gif', MIME.GIF],
    ['webp', MIME.WEBP],
    ['odt', MIME.ODT],
    ['docx', MIME.DOCX],
    ['zip', MIME.ZIP],
    ['text', MIME.TEXT],
  ] as const)('recognises %s', (sample, type) => {
    expect(detectMimeType(SAMPLES[sample])).toBe(type);
  });

  it('calls binary or unknown content application/octet-stream', () => {
    expect(detectMimeType(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]))).toBe(MIME.UNKNOWN); // ELF executable
    expect(detectMimeType(Buffer.from([0xc3, 0x28, 0x41]))).toBe(MIME.UNKNOWN); // invalid UTF-8
    expect(detectMimeType(Buffer.from('MZ\x90\x00\x03', 'latin1'))).toBe(MIME.UNKNOWN);
    expect(detectMimeType(Buffer.alloc(0))).toBe(MIME.UNKNOWN);
    expect(detectMimeType(Buffer.from('%PD'))).toBe(MIME.TEXT); // a truncated magic is just text
  });

  it('accepts text whose sample ends inside a multi-byte character', () => {
    const text = Buffer.from('é'.repeat(10));
    expect(detectMimeType(text.subarray(0, 19))).toBe(MIME.TEXT);
  });

  it('is not fooled by a zip whose mimetype entry lies about being the first', () => {
    expect(detectMimeType(Buffer.concat([zipEntry('content.xml', 'x'), zipEntry('mimetype', MIME.ODT)]))).toBe(MIME.ZIP);
  });
});
