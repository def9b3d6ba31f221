/**
 * The page to come back to after login: only a path of this site. Anything that a browser could resolve to
 * another origin (`//evil.example`, `/\evil.example`, `https://evil.example`, control characters) gives `/`.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  try {
    const base = 'http://parvis.invalid';
    const resolved = new URL(value, base);
    if (resolved.origin !== base) return '/';
    if (resolved.pathname.startsWith('/auth/')) return '/';
    return `${resolved.pathname}${resolved.search}${resolved.hash}`;
  } catch {
    return '/';
  }
}
