import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** `JSON.stringify(value, null, 2)` of a value nested `depth` levels deep (its lines after the first indented). */
function nested(value: unknown, depth: number): string {
  const pad = '  '.repeat(depth);
  return (JSON.stringify(value, null, 2) ?? 'null').replace(/\n/g, `\n${pad}`);
}

/**
 * Writes a JSON object piece by piece, exactly as `JSON.stringify(object, null, 2)` would print it, with some of its
 * top-level members arrays whose items come later, batch by batch: memory holds one batch, never the document.
 * Every write waits for the stream to drain (a slow reader slows the writer). Members are written in call order.
 */
export class JsonObjectStream {
  private members = 0;
  private openArray: { items: number } | null = null;

  constructor(
    private readonly out: Writable,
    private readonly signal?: AbortSignal,
  ) {}

  /** A member whose whole value is known (`"key": value`). */
  async member(key: string, value: unknown): Promise<void> {
    await this.closeArray();
    if (value === undefined) return; // as JSON.stringify: no member
    await this.write(`${this.separator()}  ${JSON.stringify(key)}: ${nested(value, 1)}`);
  }

  /** Opens an array member; its items follow with `items`, until the next member or `end`. */
  async array(key: string): Promise<void> {
    await this.closeArray();
    await this.write(`${this.separator()}  ${JSON.stringify(key)}: [`);
    this.openArray = { items: 0 };
  }

  async items(values: readonly unknown[]): Promise<void> {
    const array = this.openArray;
    if (!array) throw new Error('JsonObjectStream.items sans tableau ouvert');
    if (!values.length) return;
    const text = values.map((value, i) => `${array.items + i ? ',' : ''}\n    ${nested(value, 2)}`).join('');
    array.items += values.length;
    await this.write(text);
  }

  async end(): Promise<void> {
    await this.closeArray();
    await this.write(this.members ? '\n}' : '{}');
  }

  private separator(): string {
    return this.members++ ? ',\n' : '{\n';
  }

  private async closeArray(): Promise<void> {
    if (!this.openArray) return;
    const { items } = this.openArray;
    this.openArray = null;
    await this.write(items ? '\n  ]' : ']');
  }

  private async write(text: string): Promise<void> {
    this.signal?.throwIfAborted();
    if (!this.out.write(text)) await once(this.out, 'drain', this.signal ? { signal: this.signal } : {});
  }
}
