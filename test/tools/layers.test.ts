/**
 * The layers (CONTRIBUTING.md) are enforced by lint: biome.json, run on a small tree shaped like src/,
 * refuses an import cycle and an import from a higher layer, and accepts imports downwards.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const biome = resolve("node_modules/.bin/biome");

function lint(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), "cascade-layers-"));
  const config = JSON.parse(readFileSync("biome.json", "utf8"));
  delete config.$schema;
  writeFileSync(join(root, "biome.json"), JSON.stringify(config));
  writeFileSync(join(root, ".gitignore"), "");
  spawnSync("git", ["init", "-q", root]);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const r = spawnSync(biome, ["lint", "--max-diagnostics=100", "."], { cwd: root, encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe("layers", () => {
  it("accept imports downwards: routes → durable → delivery → schemas → adapters → lib → engine", () => {
    const r = lint({
      "src/engine/types.ts": "export type Id = string;\n",
      "src/lib/ids.ts": 'import type { Id } from "../engine/types";\nexport const id = (s: string): Id => s;\n',
      "src/adapters/a.ts": 'import { id } from "../lib/ids";\nexport const a = id("a");\n',
      "src/schemas/s.ts": 'import { a } from "../adapters/a";\nexport const s = a;\n',
      "src/delivery/d.ts": 'import { s } from "../schemas/s";\nexport const d = s;\n',
      "src/durable/o.ts": 'import { d } from "../delivery/d";\nexport const o = d;\n',
      "src/queues/q.ts": 'import { o } from "../durable/o";\nexport const q = o;\n',
      "src/routes/r.ts": 'import { o } from "../durable/o";\nexport const r = o;\n',
    });
    expect(r.out).not.toMatch(/noRestrictedImports|noImportCycles/);
    expect(r.status).toBe(0);
  });

  it("refuse an import from a higher layer, and name the rule", () => {
    const r = lint({
      "src/engine/types.ts": 'import { id } from "../lib/ids";\nexport const e = id;\n',
      "src/lib/ids.ts": 'import { d } from "../delivery/d";\nexport const id = d;\n',
      "src/delivery/d.ts": 'import { q } from "../queues/q";\nexport const d = q;\n',
      "src/queues/q.ts": 'import { r } from "../routes/r";\nexport const q = r;\n',
      "src/routes/r.ts": "export const r = 1;\n",
    });
    expect(r.status).not.toBe(0);
    for (const layer of ["engine", "lib", "delivery", "queues"])
      expect(r.out).toMatch(new RegExp(`src/${layer}/\\S+ lint/style/noRestrictedImports`));
    expect(r.out).toContain("Layers (CONTRIBUTING.md): src/lib/ may import only from itself and src/engine/.");
  });

  it("refuse an import cycle, even inside one layer and of types only", () => {
    const r = lint({
      "src/queues/a.ts": 'import type { B } from "./b";\nexport type A = { b?: B };\n',
      "src/queues/b.ts": 'import type { A } from "./a";\nexport type B = { a?: A };\n',
    });
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/src\/queues\/a\.ts\S* lint\/suspicious\/noImportCycles/);
  });
});
