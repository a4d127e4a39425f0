import { DurableObject } from "cloudflare:workers";
import { Sql } from "./sql";

/** The one global list of client names: keeps names unique and tells whether any client exists. */
export class Directory extends DurableObject<Env> {
  private readonly sql: Sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = new Sql(ctx.storage);
    this.sql.migrate([`CREATE TABLE clients (name TEXT PRIMARY KEY, created_at TEXT NOT NULL)`]);
  }

  /** False when the name is taken. */
  async register(name: string): Promise<boolean> {
    return (
      this.sql.run("INSERT OR IGNORE INTO clients (name, created_at) VALUES (?, ?)", name, new Date().toISOString()) > 0
    );
  }

  async exists(name: string): Promise<boolean> {
    return this.sql.one("SELECT 1 AS x FROM clients WHERE name = ?", name) !== undefined;
  }

  async count(): Promise<number> {
    return this.sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM clients")?.n ?? 0;
  }
}
