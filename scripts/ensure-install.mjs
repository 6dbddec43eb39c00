// `npm start`'s first step: runs `npm install` only when node_modules is missing or older than
// package-lock.json (npm stamps node_modules/.package-lock.json on every install), so a start
// after the first one goes straight to the server.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mtime = (p) => {
  try {
    return statSync(join(root, p)).mtimeMs;
  } catch {
    return null;
  }
};

const lock = mtime('package-lock.json');
const installed = mtime('node_modules/.package-lock.json');
const why =
  installed === null
    ? 'node_modules is missing'
    : lock !== null && installed < lock
      ? 'package-lock.json is newer than node_modules'
      : null;
if (why) {
  console.log(`${why}: npm install`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  process.exitCode = r.status ?? 1;
}
