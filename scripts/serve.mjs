// A small HTTP server on 127.0.0.1 for the demo and the browser tests: static files from the
// repository, plus routes answered by a Web-standard handler (Request → Response).
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, relative, resolve, sep } from "node:path";
import { root } from "./lib.mjs";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm", ".svg": "image/svg+xml",
  ".png": "image/png", ".ico": "image/x-icon",
};

/** Converts a Node request to a Web Request whose signal aborts when the client leaves. */
function toRequest(req, res, origin) {
  const controller = new AbortController();
  res.on("close", () => controller.abort());
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : req;
  return new Request(new URL(req.url, origin), {
    method: req.method, headers: req.headers, body, duplex: "half", signal: controller.signal,
  });
}

/** Writes a Web Response to a Node response, chunk by chunk, flushing each one. */
async function send(response, res) {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.flushHeaders();
  if (!response.body) return res.end();
  const reader = response.body.getReader();
  res.on("close", () => reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    // The body stream failed: cut the connection once what was written is sent, so the client
    // sees a network error and not a clean end (a cleanly ended chunked body would claim the
    // response was complete).
    if (res.socket) res.socket.destroySoon();
    else res.destroy();
    return;
  }
  res.end();
}

/**
/**
 * Serves files under `base` (a folder of the repository, or an absolute path) and asks
 * `handle(request)` first; `handle` returns a Response, or undefined to fall through to files.
 * `allow` (path prefixes such as "/www/") limits which files are served; anything else is 404.
 * Listens on `host` (127.0.0.1; any loopback address works, e.g. 127.0.0.2 for a second
 * origin). Resolves to { url, close }.
 */
export function serve({ base = "", handle = () => undefined, port = 0, index = "index.html", allow = null, host = "127.0.0.1" } = {}) {
  const folder = resolve(root, base);
  const server = createServer(async (req, res) => {
    try {
      const origin = `http://${req.headers.host ?? "127.0.0.1"}`;
      const response = await handle(toRequest(req, res, origin));
      if (response) return await send(response, res);
      const path = decodeURIComponent(new URL(req.url, origin).pathname);
      let file = normalize(join(folder, path));
      if (!file.startsWith(folder)) return send(new Response("forbidden", { status: 403 }), res);
      const served = `/${relative(folder, file).split(sep).join("/")}`;
      if (allow && !allow.some((prefix) => `${served}/`.startsWith(prefix))) {
        return send(new Response("not found", { status: 404 }), res);
      }
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, index);
      if (!existsSync(file)) return send(new Response("not found", { status: 404 }), res);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
      createReadStream(file).pipe(res);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error?.stack ?? error));
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const url = `http://${host}:${server.address().port}`;
      resolve({ url, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) });
    });
  });
}
