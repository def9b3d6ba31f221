#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional packages (e.g. @swc/core-darwin-arm64)
// that npm leaves out when the registry it installs from does not serve them. Without those entries
// `npm ci` refuses the lock file ("Missing: … from lock file") on every machine.
// Each added entry carries the exact version its parent requires and the os/cpu/libc it is for, so npm
// skips it on other platforms and fetches it (by version) on the one it is for.
// Usage: node tools/lockfile-platforms.mjs   (after any `npm install` that changes the lock file)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const packages = lock.packages;

function inferPlatform(name) {
  const n = name.toLowerCase();
  const os = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'aix'].find((o) => n.includes(o));
  const cpuMap = [
    ['arm64', 'arm64'], ['aarch64', 'arm64'], ['x64', 'x64'], ['ia32', 'ia32'], ['ppc64', 'ppc64'], ['s390x', 's390x'],
    ['riscv64', 'riscv64'], ['loong64', 'loong64'], ['arm', 'arm'],
  ];
  const cpu = cpuMap.find(([k]) => n.includes(k))?.[1];
  const libc = n.includes('musl') ? 'musl' : n.includes('gnu') && os === 'linux' ? 'glibc' : undefined;
  return { os: os ? [os] : undefined, cpu: cpu ? [cpu] : undefined, libc: libc ? [libc] : undefined };
}

function registryPlatform(name) {
  try {
    const out = execFileSync('npm', ['view', name, 'os', 'cpu', 'libc', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const meta = out.trim() ? JSON.parse(out) : {};
    if (meta.os || meta.cpu) return { os: meta.os, cpu: meta.cpu, libc: meta.libc };
  } catch {
    // not served by this registry: infer from the name
  }
  return inferPlatform(name);
}

let added = 0;
for (const [path, meta] of Object.entries(packages)) {
  if (!meta.optionalDependencies) continue;
  const base = path === '' ? '' : `${path}/`;
  for (const [name, spec] of Object.entries(meta.optionalDependencies)) {
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue; // only exact pins: platform binaries
    const nested = `${base}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const platform = registryPlatform(name);
    if (!platform.os && !platform.cpu) continue; // not a platform package
    const entry = { version: spec, optional: true };
    if (meta.dev) entry.dev = true;
    if (meta.devOptional) entry.devOptional = true;
    for (const key of ['cpu', 'os', 'libc']) if (platform[key]) entry[key] = platform[key];
    packages[hoisted] = entry;
    added += 1;
  }
}

lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json : ${added} paquet(s) de plateforme ajouté(s).`);
