// Preload for @modelcontextprotocol/server-everything, whose sse/streamableHttp transports call
// `app.listen(PORT)` and so bind every interface (it reads PORT but has no HOST setting).
// Usage: HOST=127.0.0.1 PORT=N node --require ./bind-host.cjs \
//          node_modules/@modelcontextprotocol/server-everything/dist/index.js streamableHttp
// Any net.Server.listen(port[, backlog][, callback]) without an explicit host gets
// $HOST (default 127.0.0.1). Once bound, it prints `bind-host: listening on HOST:PORT` on
// stderr with the real port, so PORT=0 (a free port) can be used by tests.
"use strict";
const net = require("node:net");
const host = process.env.HOST || "127.0.0.1";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  const isPort = typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first));
  if (isPort && typeof args[1] !== "string") {
    args.splice(1, 0, host);
  }
  this.once("listening", () => {
    const address = this.address();
    if (address && typeof address === "object") {
      process.stderr.write(`bind-host: listening on ${address.address}:${address.port}\n`);
    }
  });
  return listen.apply(this, args);
};
