import type { Request, Response } from 'express';
import { safeEqual, type ClientService } from '#accounts';

/** `Authorization: Basic` credentials (RFC 6749 §2.3.1: both parts form-urlencoded), as at the token endpoint. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return null;
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    return null;
  }
}

type ClientMetadata = NonNullable<Awaited<ReturnType<ClientService['providerMetadata']>>>;

/**
 * The OIDC client calling one of the identity's partner APIs (deleted accounts, account lookup), authenticated by
 * its client id and secret in HTTP Basic as at the token endpoint (secret compared in constant time); null when
 * the credentials are missing, malformed, unknown or wrong.
 */
export async function authenticatedClient(clients: ClientService, req: Request): Promise<ClientMetadata | null> {
  const credentials = basicCredentials(req.headers.authorization);
  const client = credentials ? await clients.providerMetadata(credentials.id) : undefined;
  const secret = client?.client_secret;
  return credentials && client && typeof secret === 'string' && safeEqual(credentials.secret, secret) ? client : null;
}

/** The 401 answer of the partner APIs, with its `WWW-Authenticate` challenge. */
export function refuseUnauthenticated(res: Response): Response {
  return res
    .status(401)
    .setHeader('WWW-Authenticate', 'Basic realm="compte-territorial", charset="UTF-8"')
    .json({ erreur: 'authentification_requise', message: 'Identifiez-vous avec l’identifiant et le secret de votre client OIDC (HTTP Basic).' });
}
