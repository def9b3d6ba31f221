import type { Readable } from 'node:stream';
import type { Response } from 'express';
import type { Attachment } from '#demands';

/**
 * Streams a demand's file as a download: `Content-Disposition: attachment` (ASCII fallback + RFC 5987 name),
 * `nosniff`, and HTML/SVG/XML served as `application/octet-stream` so that nothing a person uploaded ever runs
 * on the portal's origin, even if a browser ignored the disposition.
 */
export function sendAttachment(res: Response, file: { attachment: Attachment; content: Readable }) {
  const { attachment, content } = file;
  const ascii = attachment.fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const risky = /html|svg|xml|javascript/i.test(attachment.mimeType);
  res.setHeader('Content-Type', risky || !attachment.mimeType ? 'application/octet-stream' : attachment.mimeType);
  res.setHeader('Content-Length', String(attachment.sizeBytes));
  res.setHeader('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(attachment.fileName)}`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Cache-Control', 'no-store');
  content.on('error', () => res.destroy());
  content.pipe(res);
}
