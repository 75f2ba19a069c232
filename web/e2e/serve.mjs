// A small static file server for www-dist (the site is served at the root: trunk writes
// absolute asset paths). Used by the end-to-end test and by `bash .ci/main`.
//
//   node web/e2e/serve.mjs [DIR] [PORT]     # DIR defaults to www-dist, PORT to 0 (a free one)
//
// Prints "serving DIR at http://127.0.0.1:PORT/" and serves until stopped. Only files under
// DIR are served; anything else is a 404.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.xgm': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export function serve(dir, port = 0) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      let file = resolve(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) throw new Error('outside');
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok(server));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? 'www-dist';
  const wanted = Number(process.argv[3] ?? 0);
  // A busy port is not fatal: take a free one and say which.
  const server = await serve(dir, wanted).catch((e) => {
    if (e.code !== 'EADDRINUSE') throw e;
    return serve(dir, 0);
  });
  console.log(`serving ${dir} at http://127.0.0.1:${server.address().port}/`);
}
