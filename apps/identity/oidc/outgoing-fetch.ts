type FetchOptions = RequestInit & { dispatcher?: unknown };
type Fetch = (url: URL | string, options: FetchOptions) => Promise<Response>;

/** `[::1]` → `::1`, lowercased: how hosts are compared. */
export function normalizeHost(host: string): string {
  return host.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/**
 * The provider's `fetch` (its outgoing calls: back-channel logout tokens). oidc-provider passes an undici
 * dispatcher that destroys any connection to a special-use address (loopback, private ranges): an SSRF guard.
 * For the hosts of the development allow-list (`IDENTITY_DEV_BACKCHANNEL_HOSTS`, empty in production) that
 * dispatcher is dropped, so `npm start`'s apps on 127.0.0.1 receive their back-channel logouts; every other
 * host keeps the guard.
 */
export function outgoingFetch(allowedHosts: readonly string[], inner: Fetch = (url, options) => globalThis.fetch(url, options as RequestInit)): Fetch {
  const allowed = new Set(allowedHosts.map(normalizeHost));
  return (url, options) => {
    if (!allowed.size || !allowed.has(normalizeHost(new URL(url).hostname))) return inner(url, options);
    const { dispatcher: _guard, ...unguarded } = options;
    return inner(url, unguarded);
  };
}
