import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";

import type { Database } from "./index";

const dialect = new PgDialect();

/**
 * A hand-written statement, prepared on the connection where the pooler allows it (the pool's own
 * `prepare` setting, see ./connection.ts). Drizzle's `db.execute` never prepares: Postgres then
 * parses and plans the statement on every call, work a prepared statement does once per connection.
 */
export async function executePrepared<Row extends Record<string, unknown>>(db: Database, statement: SQL): Promise<Row[]> {
  const { sql: text, params } = dialect.sqlToQuery(statement);
  const client = db.$client;
  return client.unsafe<Row[]>(text, params as never[], { prepare: client.options.prepare });
}
