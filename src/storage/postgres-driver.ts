import pg from 'pg';
import type { SqlDriver, SqlExecutor, SqlValue } from './sql-driver.js';

export interface PostgresDriverOptions {
  url: string;
  /** Connections per instance (default 10). */
  poolSize?: number;
  /** Idle connections report errors here (a restarted server, a dropped network) instead of crashing the process. */
  onError?: (error: Error) => void;
}

/** `pg` with a pool; commits are durable with PostgreSQL's default `synchronous_commit = on`. */
export function createPostgresDriver(options: PostgresDriverOptions): SqlDriver {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  pool.on('error', (error) => options.onError?.(error));
  const numbered = new Map<string, string>();
  const toPostgres = (sql: string) => {
    let text = numbered.get(sql);
    if (text === undefined) {
      let index = 0;
      text = sql.replace(/\?/g, () => `$${++index}`);
      numbered.set(sql, text);
    }
    return text;
  };
  const executorOf = (client: pg.Pool | pg.PoolClient): SqlExecutor => ({
    async all<R>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
      return (await client.query(toPostgres(sql), params.map(textSafe))).rows as R[];
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      return (await client.query(toPostgres(sql), params.map(textSafe))).rowCount ?? 0;
    },
  });
  const direct = executorOf(pool);
  return {
    dialect: 'postgres',
    jsonParam: '?::jsonb',
    readJson: (value) => value,
    all: direct.all,
    run: direct.run,
    async transaction<R>(work: (tx: SqlExecutor) => Promise<R>): Promise<R> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(executorOf(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** PostgreSQL text cannot hold NUL: an id or key with one (pasted junk) is stored with U+FFFD, the same way on every read. */
function textSafe(value: SqlValue): SqlValue {
  return typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
}
