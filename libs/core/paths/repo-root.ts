import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The repository root, found by walking up from this file to the package.json named "parvis".
 * Works from the TypeScript sources (tests) and from the compiled `dist/` tree alike, so views,
 * assets and reference data are read in place and never copied.
 */
export function repoRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'parvis') return (cached = dir);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Racine du dépôt Parvis introuvable (package.json "parvis").');
    dir = parent;
  }
}

export function fromRoot(...segments: string[]): string {
  return join(repoRoot(), ...segments);
}
