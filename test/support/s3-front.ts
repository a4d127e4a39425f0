/**
 * A front for the S3 peer that can fail chosen requests: everything else is passed to s3rver as it
 * came, Host header included, so s3rver still checks each SigV4 signature against what was signed.
 * Tests script failures with `POST /__faults` and read what reached the front with `GET /__log?match=…`
 * (bucket names cannot hold `_`, so neither path is an S3 one).
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { S3Fault, S3Request } from "./s3-faults";

export interface S3Front {
  server: Server;
  port: number;
}

export async function startS3Front(target: string): Promise<S3Front> {
  const upstream = new URL(target);
  const faults: S3Fault[] = [];
  const log: S3Request[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    const method = req.method ?? "GET";
    if (method === "GET" && path.startsWith("/__log?")) {
      const match = new URL(path, "http://front").searchParams.get("match") ?? "";
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(log.filter((r) => r.path.includes(match))));
      return;
    }
    if (req.method === "POST" && path === "/__faults") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        faults.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as S3Fault);
        res.writeHead(201).end();
      });
      return;
    }
    const fault = faults.find((f) => f.times > 0 && f.match.every((m) => path.includes(m)));
    if (fault) {
      fault.times--;
      log.push({ method, path, status: fault.status });
      req.resume();
      res.writeHead(fault.status, { "content-type": "application/xml" });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code ?? "InternalError"}</Code><Message>scripted failure (${fault.status})</Message></Error>`,
      );
      return;
    }
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: req.headers },
      (up) => {
        log.push({ method, path, status: up.statusCode ?? 502 });
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on("error", (err) => res.destroy(err));
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
