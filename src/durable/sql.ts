/** A thin typed layer over Durable Object SQLite storage. */
export type Row = Record<string, SqlStorageValue>;

export class Sql {
  constructor(private readonly storage: DurableObjectStorage) {}

  all<T extends Row = Row>(query: string, ...bindings: SqlStorageValue[]): T[] {
    return this.storage.sql.exec<T>(query, ...bindings).toArray();
  }

  one<T extends Row = Row>(query: string, ...bindings: SqlStorageValue[]): T | undefined {
    return this.all<T>(query, ...bindings)[0];
  }

  run(query: string, ...bindings: SqlStorageValue[]): number {
    return this.storage.sql.exec(query, ...bindings).rowsWritten;
  }

  /**
   * Applies `migrations[i]` for every version above the stored one, in one
   * transaction each, so waking an object is idempotent and cheap.
   */
  migrate(migrations: string[]): void {
    this.storage.sql.exec("CREATE TABLE IF NOT EXISTS _schema (version INTEGER NOT NULL)");
    const current = this.one<{ version: number }>("SELECT version FROM _schema")?.version ?? 0;
    for (let v = current; v < migrations.length; v++) {
      this.storage.transactionSync(() => {
        this.storage.sql.exec(migrations[v]!);
        if (v === 0 && current === 0) this.storage.sql.exec("INSERT INTO _schema (version) VALUES (1)");
        else this.storage.sql.exec("UPDATE _schema SET version = ?", v + 1);
      });
    }
  }
}

export const json = (value: unknown): string => JSON.stringify(value ?? null);
export const parse = <T>(text: SqlStorageValue | undefined): T => JSON.parse(String(text ?? "null")) as T;
