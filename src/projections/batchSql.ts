// The two statements every projection's batch needs: read the rows a batch touches by key, in one query
// per table, and write back what changed as one statement for all tables (one round trip).
import type pg from 'pg';

/** The rows of `table` whose `columns` hold one of `keys` (none asked: no query), into `into` by `keyOf`. */
export async function loadRows<Row>(
  db: pg.ClientBase,
  table: string,
  columns: readonly string[],
  keys: readonly (readonly string[])[],
  into: Map<string, Row | null>,
  keyOf: (row: Row) => string,
): Promise<void> {
  if (keys.length === 0) return;
  const unnest = columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
  const match =
    columns.length === 1
      ? `${columns[0]} = ANY($1::text[])` // an index probe per key, whatever the planner guesses
      : `(${columns.join(', ')}) IN (SELECT * FROM unnest(${unnest}))`;
  const { rows } = await db.query<{ r: Row }>(
    `SELECT to_json(t) AS r FROM ${table} t WHERE ${match}`,
    columns.map((_, i) => keys.map((key) => key[i])),
  );
  for (const { r } of rows) into.set(keyOf(r), r);
}

/**
 * The batch's inserts and upserts as one statement (one round trip however many tables a batch touches):
 * each is a data-modifying CTE of the last one. They write different tables, so their order does not matter.
 */
export class BatchWrites {
  private readonly parts: string[] = [];
  private readonly params: string[] = [];
  private readonly schema: string;
  constructor(schema: string) {
    this.schema = schema;
  }

  insert(table: string, rows: readonly object[], conflict?: readonly string[]): void {
    if (rows.length === 0) return;
    this.params.push(JSON.stringify(rows));
    const into = `${this.schema}.${table}`;
    let sql = `INSERT INTO ${into} SELECT * FROM json_populate_recordset(NULL::${into}, $${this.params.length}::json)`;
    if (conflict) {
      const updated = Object.keys(rows[0]!).filter((column) => !conflict.includes(column));
      sql += ` ON CONFLICT (${conflict.join(', ')}) `;
      sql +=
        updated.length === 0
          ? 'DO NOTHING'
          : `DO UPDATE SET (${updated.join(', ')}) = ROW(${updated.map((c) => `EXCLUDED.${c}`).join(', ')})`;
    }
    this.parts.push(sql);
  }

  async run(db: pg.ClientBase): Promise<void> {
    if (this.parts.length === 0) return;
    const last = this.parts.at(-1)!;
    const ctes = this.parts.slice(0, -1).map((part, i) => `w${i} AS (${part})`);
    await db.query(ctes.length > 0 ? `WITH ${ctes.join(', ')} ${last}` : last, this.params);
  }
}
