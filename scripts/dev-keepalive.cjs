// Preloaded into wrangler's Node process by scripts/dev.mjs (NODE_OPTIONS=--require). Miniflare's
// loopback server (Node's http, idle keep-alive connections closed after 5 s) carries the queue
// broker's "QUEUE <name> n/n" log line. While ffmpeg.wasm holds workerd's one thread for more than
// 5 s, Node closes the broker's idle connection; the broker then sends its log line on it, the
// send fails, and the broker never schedules that queue again: the next message stays queued.
// Keeping idle connections for 10 minutes leaves them open across any WASM step.
const http = require("node:http");
const createServer = http.createServer;
http.createServer = function (...args) {
  const server = createServer.apply(this, args);
  server.keepAliveTimeout = 600_000;
  return server;
};
