import type { DataSource } from 'typeorm';

/** A trigger as `pg_get_triggerdef` prints it, the table unqualified when it lives in the current schema. */
export interface TriggerDeclaration {
  name: string;
  definition: string;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
const DECLARED = new Map<Function, TriggerDeclaration[]>();

/**
 * Declares, on an entity, a trigger its table has. TypeORM neither builds nor compares triggers, so the schema check
 * (`triggerDifferences`: libs/db/schema.int-spec.ts, `npm run schema:check`) holds the migrations to these
 * declarations: a table whose entity declares one trigger must have exactly its declared triggers, each with
 * exactly the declared definition. The definition is written as PostgreSQL prints it back (`pg_get_triggerdef`);
 * on a mismatch the check prints the database's version.
 *
 *   @DatabaseTrigger('demand_search_vector_trigger',
 *     'CREATE TRIGGER demand_search_vector_trigger BEFORE INSERT OR UPDATE OF data ON demand FOR EACH ROW EXECUTE FUNCTION demand_search_vector_update()')
 */
export function DatabaseTrigger(name: string, definition: string): ClassDecorator {
  return (target) => {
    const list = DECLARED.get(target) ?? [];
    if (list.some((t) => t.name === name)) throw new Error(`Déclencheur « ${name} » déclaré deux fois sur ${target.name}.`);
    DECLARED.set(target, [...list, { name, definition }]);
  };
}

/** The triggers declared on an entity class (empty when none). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function declaredTriggers(target: Function): readonly TriggerDeclaration[] {
  return DECLARED.get(target) ?? [];
}

/**
 * Where the database's triggers differ from the declared ones, one French line each (empty when they agree), for
 * every entity of `dataSource` that declares at least one trigger. Internal triggers (foreign keys) are not
 * counted.
 */
export async function triggerDifferences(dataSource: DataSource): Promise<string[]> {
  const lines: string[] = [];
  for (const metadata of dataSource.entityMetadatas) {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    const declared = typeof metadata.target === 'function' ? declaredTriggers(metadata.target as Function) : [];
    if (!declared.length) continue;
    const rows = await dataSource.query<{ name: string; definition: string }[]>(
      `SELECT t.tgname AS name,
              CASE WHEN n.nspname = current_schema()
                   THEN replace(pg_get_triggerdef(t.oid), ' ON ' || quote_ident(n.nspname) || '.', ' ON ')
                   ELSE pg_get_triggerdef(t.oid) END AS definition
         FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal
          AND (CASE WHEN n.nspname = current_schema() THEN c.relname ELSE n.nspname || '.' || c.relname END) = $1
        ORDER BY t.tgname`,
      [metadata.tablePath],
    );
    for (const trigger of declared) {
      const found = rows.find((r) => r.name === trigger.name);
      if (!found) lines.push(`${metadata.tablePath} : déclencheur « ${trigger.name} » déclaré sur l’entité, absent de la base`);
      else if (found.definition !== trigger.definition) {
        lines.push(`${metadata.tablePath} : déclencheur « ${trigger.name} » différent\n  entité : ${trigger.definition}\n  base   : ${found.definition}`);
      }
    }
    for (const row of rows) {
      if (!declared.some((t) => t.name === row.name)) lines.push(`${metadata.tablePath} : déclencheur « ${row.name} » dans la base, non déclaré sur l’entité : ${row.definition}`);
    }
  }
  return lines;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
const EXTENSIONS = new Map<Function, string[]>();

/**
 * Declares, on an entity, a PostgreSQL extension its table's definition needs (an operator class of an index:
 * `btree_gin` for a GIN index over a uuid column). The migrations create it; the schema check creates it in the
 * scratch database it builds from the entities (TypeORM's builder does not), so that both sides can be compared.
 */
export function DatabaseExtension(name: string): ClassDecorator {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Nom d’extension invalide : ${name}`);
  return (target) => {
    EXTENSIONS.set(target, [...new Set([...(EXTENSIONS.get(target) ?? []), name])]);
  };
}

/** The extensions declared by the entities of `dataSource`, sorted, once each. */
export function declaredExtensions(dataSource: DataSource): string[] {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  const all = dataSource.entityMetadatas.flatMap((m) => (typeof m.target === 'function' ? (EXTENSIONS.get(m.target as Function) ?? []) : []));
  return [...new Set(all)].sort();
}
