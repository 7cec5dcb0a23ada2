// Starts a real `keepsake serve --demo` on loopback in a fresh data directory and gives its
// base URL and the demo tokens. KEEPSAKE_BINARY names the binary (CTest sets it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startServer({ demo = true } = {}) {
  const binary = process.env.KEEPSAKE_BINARY;
  if (!binary) throw new Error('KEEPSAKE_BINARY is not set (run through ctest, or set it to build/keepsake)');
  const dir = mkdtempSync(join(tmpdir(), 'keepsake-console-'));
  const portFile = join(dir, 'port');
  const args = ['serve', '--data', join(dir, 'data'), '--listen', '127.0.0.1:0', '--port-file', portFile];
  if (demo) args.push('--demo');
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const deadline = Date.now() + 180_000;
  while (!existsSync(portFile) || !readFileSync(portFile, 'utf8').trim()) {
    if (child.exitCode !== null) throw new Error(`keepsake serve exited ${child.exitCode}: ${stderr.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error('keepsake serve did not start in 180 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const port = readFileSync(portFile, 'utf8').trim();
  const tokens = {};
  for (const m of stdout.matchAll(/^\s+(\w+)\t(ks_[0-9a-f]+)$/gm)) tokens[m[1]] = m[2];
  const base = `http://127.0.0.1:${port}`;
  const api = async (method, path, token, body, headers = {}) => {
    const init = { method, headers: { Authorization: `Bearer ${token}`, ...headers } };
    if (body !== undefined) {
      if (body instanceof Uint8Array) {
        init.body = body;
      } else {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
    }
    const res = await fetch(base + path, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    base,
    tokens,
    api,
    log: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor(what, fn, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
