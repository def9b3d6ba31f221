import { MIME } from './mime-sniff.js';

/** Sample files for the MIME sniffing and storage tests. */
/** A stored (uncompressed) ZIP local file header followed by its data. */
export function zipEntry(name: string, data: string): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt32LE(Buffer.byteLength(data), 18);
  header.writeUInt32LE(Buffer.byteLength(data), 22);
  header.writeUInt16LE(Buffer.byteLength(name), 26);
  return Buffer.concat([header, Buffer.from(name, 'latin1'), Buffer.from(data, 'utf8')]);
}

export const SAMPLES = {
  pdf: Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n'),
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]),
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]),
  gif: Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'),
  webp: Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 ')]),
  odt: Buffer.concat([zipEntry('mimetype', MIME.ODT), zipEntry('content.xml', '<office:document-content/>')]),
  docx: Buffer.concat([zipEntry('[Content_Types].xml', '<Types/>'), zipEntry('_rels/.rels', '<Relationships/>'), zipEntry('word/document.xml', '<w:document/>')]),
  zip: zipEntry('notes.txt', 'hello'),
  text: Buffer.from('Bonjour,\nje signale un nid-de-poule rue Victor-Hugo.\r\n— Merci !\t☺'),
};
