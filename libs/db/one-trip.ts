import pg from 'pg';

/** A statement of `runInOneTrip`: prepared once per connection under `name`, then only bound to `values`. */
export interface PreparedStatement {
  name: string;
  text: string;
  /** Text parameters (`$1`…) or NULL; the statement casts them (`$1::uuid`). */
  values: readonly (string | null)[];
}

/** The messages of the extended query protocol that node-postgres' Connection writes (one call, one message). */
interface ProtocolWriter {
  stream: { cork(): void; uncork(): void };
  parsedStatements: Record<string, string>;
  parse(query: { name: string; text: string }): void;
  bind(config: { statement: string; values: readonly (string | null)[] }): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config: { portal: string }): void;
  close(config: { type: 'S'; name: string }): void;
  sync(): void;
}

/** node-postgres' Result as it parses rows (with the type parsers of pg-types, as a plain `query` does). */
interface RowParser {
  rows: Record<string, unknown>[];
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): Record<string, unknown>;
}
const RowParser = pg.Result as unknown as new () => RowParser;

/** Per connection, statements whose preparation an error left uncertain: closed before they are prepared again. */
const uncertain = new WeakMap<ProtocolWriter, Set<string>>();

/**
 * Runs `statements` in ONE round trip and ONE transaction: each one's Bind/Describe/Execute (and, the first time on
 * this connection, its Parse) are written together, followed by a single Sync. Without BEGIN, PostgreSQL runs every
 * message up to the Sync in one implicit transaction: committed at the Sync when all succeeded; at the first error
 * the rest is skipped and everything is rolled back (PostgreSQL documentation, "Extended Query" and "Pipelining").
 * Transaction-local settings (`set_config(…, true)`, the role) made by one statement apply to the next ones and end
 * with the transaction. A statement is parsed and planned once per connection (named prepared statement), then only
 * bound: what `pgbench -M prepared` does, in one round trip instead of one per statement.
 *
 * `client` must be idle and outside any transaction (a pooled connection just checked out). Resolves to each
 * statement's rows (parsed with node-postgres' type parsers); rejects with PostgreSQL's error.
 */
export function runInOneTrip(client: pg.ClientBase, statements: readonly PreparedStatement[]): Promise<Record<string, unknown>[][]> {
  return new Promise((resolve, reject) => {
    client.query(new OneTripQuery(statements, (error, rows) => (error ? reject(error) : resolve(rows!))));
  });
}

/** A node-postgres Submittable: the client hands it the connection when idle, then each backend message. */
class OneTripQuery implements pg.Submittable {
  private readonly results: RowParser[];
  private current = 0;
  private parsing: string[] = [];
  private connection?: ProtocolWriter;
  private failed?: Error;
  private done = false;

  constructor(
    private readonly statements: readonly PreparedStatement[],
    /** Named `callback` for node-postgres: its `query_timeout` wraps it (and then reports through `handleError`). */
    public callback: (error: Error | null, rows?: Record<string, unknown>[][]) => void,
  ) {
    this.results = statements.map(() => new RowParser());
  }

  /** Writes the whole trip, or returns why it cannot (node-postgres then reports it through `handleError`). */
  submit(connection: pg.Connection): Error | undefined {
    const writer = connection as unknown as ProtocolWriter;
    // Checked before anything is written: a trip is sent whole or not at all.
    for (const statement of this.statements) {
      const known = writer.parsedStatements[statement.name];
      if (known !== undefined && known !== statement.text) return new Error(`Instruction préparée « ${statement.name} » déjà utilisée pour un autre texte.`);
      if (!statement.values.every((value) => value === null || typeof value === 'string')) {
        return new Error(`Instruction « ${statement.name} » : paramètres texte ou NULL attendus.`);
      }
    }
    this.connection = writer;
    const unsure = uncertain.get(writer);
    writer.stream.cork();
    try {
      for (const statement of this.statements) {
        if (writer.parsedStatements[statement.name] === undefined && !this.parsing.includes(statement.name)) {
          // Closing a statement that does not exist is not an error: a failed trip may or may not have prepared it.
          if (unsure?.delete(statement.name)) writer.close({ type: 'S', name: statement.name });
          writer.parse({ name: statement.name, text: statement.text });
          this.parsing.push(statement.name);
        }
        writer.bind({ statement: statement.name, values: statement.values });
        writer.describe({ type: 'P', name: '' });
        writer.execute({ portal: '' });
      }
      writer.sync();
    } finally {
      writer.stream.uncork();
    }
    return undefined;
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    this.results[this.current]?.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    const result = this.results[this.current];
    if (result) result.rows.push(result.parseRow(message.fields));
  }

  handleCommandComplete(): void {
    this.current += 1;
  }

  handleEmptyQuery(): void {
    this.current += 1;
  }

  handlePortalSuspended(): void {
    // Never asked for (Execute without a row limit).
  }

  handleCopyInResponse(): void {
    // Not a COPY.
  }

  handleCopyData(): void {
    // Not a COPY.
  }

  handleError(error: Error): void {
    // PostgreSQL skips to the Sync and rolls back; node-postgres forgets this query and reads the ReadyForQuery itself.
    // Which of this trip's statements got prepared is unknown: they are closed before their next preparation.
    if (this.connection && this.parsing.length) {
      const unsure = uncertain.get(this.connection) ?? new Set<string>();
      for (const name of this.parsing) unsure.add(name);
      uncertain.set(this.connection, unsure);
    }
    this.failed = error;
    this.finish();
  }

  handleReadyForQuery(): void {
    if (this.connection) for (const name of this.parsing) this.connection.parsedStatements[name] = this.statements.find((s) => s.name === name)!.text;
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.failed) this.callback(this.failed);
    else this.callback(null, this.results.map((result) => result.rows));
  }
}
