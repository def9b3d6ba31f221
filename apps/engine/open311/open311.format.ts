import { DomainError } from '#core';
import type { Response } from 'express';

/**
 * GeoReport v2 output formats: the resource's extension chooses (`services.xml`, `requests/<id>.json`). XML is the
 * spec's required format, JSON the one most clients use; both carry the same fields.
 */
export type Open311Format = 'json' | 'xml';

/** The format of a path's extension; 404 for another (in JSON, the error shape of an unknown format). */
export function formatOf(raw: string): Open311Format {
  if (raw === 'json' || raw === 'xml') return raw;
  throw DomainError.notFound('OPEN311_FORMAT_UNKNOWN', `Format « ${raw.slice(0, 16)} » inconnu : .json ou .xml.`);
}

/** The format a request asked for, from its path (errors are answered in it too). */
export function formatOfPath(path: string): Open311Format {
  return path.endsWith('.xml') ? 'xml' : 'json';
}

/**
 * The XML names of a GeoReport document: the root of each response and the element of each list item. A list
 * (`services`, `service_requests`, `errors`, `attributes`, `values`) holds one element per item.
 */
const ITEM_OF: Record<string, string> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  attributes: 'attribute',
  values: 'value',
};

/** Sends `body` as JSON, or as the XML document `<root>` (a list root wraps one element per item). */
export function send(res: Response, format: Open311Format, root: string, body: unknown): unknown {
  if (format === 'json') return body;
  res.setHeader('Content-Type', 'text/xml; charset=utf-8');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element(root, body)}\n`;
}

/** One element: lists hold their items, objects their properties in order, scalars their text; null is empty. */
function element(name: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return `<${name}/>`;
  if (Array.isArray(value)) {
    const item = ITEM_OF[name] ?? 'item';
    return `<${name}>${value.map((v) => element(item, v)).join('')}</${name}>`;
  }
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value as Record<string, unknown>)
      .map(([key, v]) => element(key, v))
      .join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** Text content: markup characters escaped, characters XML 1.0 cannot carry removed. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
