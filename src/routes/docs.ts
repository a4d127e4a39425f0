import { escapeHtml } from "../lib/html";
/** The parts of an OpenAPI operation the reader shows. */
interface Operation {
  description?: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
}
type Doc = {
  paths?: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, Record<string, Operation>>;
  info: { title: string; version: string; description?: string };
};

const esc = escapeHtml;
const schemaOf = (op: Operation) =>
  op?.requestBody?.content?.["application/json"]?.schema ?? op?.requestBody?.content?.["multipart/form-data"]?.schema;

function operation(method: string, path: string, op: Operation): string {
  const params = (op.parameters ?? []).map((p) => `<code>${esc(p.name)}</code> (${esc(p.in)})`).join(", ");
  const body = schemaOf(op);
  const responses = Object.entries(op.responses ?? {})
    .map(([code, r]) => `<li><b>${esc(code)}</b> ${esc(r.description)}</li>`)
    .join("");
  return `<section id="${esc(method + path)}"><h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
    ${op.description ? `<p>${esc(op.description)}</p>` : ""}${params ? `<p>Parameters: ${params}</p>` : ""}
    ${body ? `<details><summary>Request body</summary><pre>${esc(JSON.stringify(body, null, 2))}</pre></details>` : ""}
    <ul>${responses}</ul></section>`;
}

/** A self-contained reader for /openapi.json: rendered on the server, no script, nothing from a CDN. */
export function renderDocs(doc: Doc): string {
  const ops = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([m, op]) => operation(m, path, op)),
  );
  const hooks = Object.entries(doc.webhooks ?? {}).flatMap(([name, methods]) =>
    Object.entries(methods).map(([m, op]) => operation(m, `webhook: ${name}`, op)),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)} API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code,pre{font:13px ui-monospace,monospace}pre{background:#f4f5f7;padding:.75rem;overflow:auto}
section{border-top:1px solid #ddd;padding:.5rem 0}.m{display:inline-block;min-width:4.5rem;font-size:12px;color:#fff;padding:2px 6px;border-radius:4px;background:#555}
.get{background:#1f6feb}.post{background:#2da44e}.put{background:#bf8700}.delete{background:#cf222e}</style></head>
<body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${esc(doc.info.description)}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Routes</h2>${ops.join("")}<h2>Webhooks (what Cascade sends)</h2>${hooks.join("")}</body></html>`;
}

export const DOC_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "Cascade",
    version: "0.1.0",
    description:
      "Media task engine at the edge. This document is generated from the zod schemas the routes validate with; docs/api.md in the repository explains each route in words.",
  },
};
