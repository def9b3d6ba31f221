import { spawn } from 'node:child_process';
import { fromRoot } from '#core';

export interface ScriptOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a compiled script (`dist/<script>`) as a person would, with the project's Node, from the
 * repository root, and collects its output. Killed and rejected after `timeoutMs`.
 */
export function runScript(
  script: string,
  options: { env?: NodeJS.ProcessEnv; args?: string[]; timeoutMs?: number } = {},
): Promise<ScriptOutcome> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fromRoot('dist', script), ...(options.args ?? [])], {
      cwd: fromRoot(),
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ne s'est pas arrêté en ${timeoutMs / 1000} s.\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
