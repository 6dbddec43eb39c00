import { resolve } from 'node:path';

/**
 * The directory the user typed the command in. `npm run inspect -- x.h5` runs its script in
 * the package root, with the caller's directory in INIT_CWD; `npx physml` and a direct call
 * keep the caller's directory as cwd. Only our own npm scripts switch to INIT_CWD, so a
 * physml started by some other npm script in another directory still uses its own cwd.
 */
export function callerCwd(env: NodeJS.ProcessEnv = process.env): string {
  const script = env.npm_lifecycle_script ?? '';
  if (env.INIT_CWD && /\bbin\/physml\.mjs\b/.test(script)) return env.INIT_CWD;
  return process.cwd();
}

/** A path the user gave, made absolute against the caller's directory. */
export function userPath(p: string): string {
  return resolve(callerCwd(), p);
}
