/** The two server-rendered apps that log people in through the territorial account. */
export type WebAppKind = 'portal' | 'backoffice';

/** Who is logged in, as the provider told us at login (ID token + userinfo). */
export interface SessionUser {
  /** Pairwise subject of this app's OIDC client (the portal and the back office may see different values). */
  sub: string;
  /** Display name: given + family name, else preferred_username, else the email address. */
  name: string;
  email?: string;
  /** How the identity was established (`urn:parvis:acr:local`, `eidas1`). */
  acr?: string;
  /** The provider's session id (`sid` of the ID token): back-channel logout names it. */
  sid?: string;
  /** Kept for RP-initiated logout (`id_token_hint`). */
  idToken: string;
  /** Milliseconds since the epoch, from the platform clock. */
  authenticatedAt: number;
  /** Profile claims the app was granted (forms prefill from them); absent for sessions opened before they were kept. */
  profile?: SessionProfile;
}

/** The person's profile claims as userinfo gave them (only those of the granted scopes). Personal data: never logged. */
export interface SessionProfile {
  given_name?: string;
  family_name?: string;
  email?: string;
  phone?: string;
  birthdate?: string;
  gender?: string;
  /** OIDC `address` claim (street_address, postal_code, locality…). */
  address?: Record<string, string>;
  /** True when the identity was certified (FranceConnect): `certification_level` other than `none`. */
  certified: boolean;
}

/** A login on its way to the provider: the checks of its callback. */
export interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  startedAt: number;
}

/**
 * An incremental authorization on its way to the provider: one more scope (`quotient_familial`, `mandats`…) for the
 * person already logged in, its data kept for one purpose (`key`: the portal's form in progress).
 */
export interface PendingAuthorization {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  scope: string;
  key: string;
  startedAt: number;
}

/**
 * What an incremental authorization gave for one scope, kept apart from the session (short-lived Redis entry per
 * session and purpose). `released`: the scope's claim is in `claim`; `absent`: consented, but the provider released
 * nothing (identity not certified, no file, source unavailable); `refused`: the person said no; `unavailable`: the
 * provider could not be reached or the exchange failed. Personal data: never logged.
 */
export interface ReleasedScope {
  status: 'released' | 'absent' | 'refused' | 'unavailable';
  claim?: unknown;
  /** What the app chose among the claim (the portal: the SIRET of the mandate the person acts for). */
  choice?: string;
  at: number;
}

/** What one web session holds in Redis (JSON). */
export interface WebSessionData {
  /** Per-session CSRF token, renewed with the session id at login. */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  user?: SessionUser;
  login?: PendingLogin;
  authorization?: PendingAuthorization;
  /** Values an app keeps with the session (the portal's anonymous forms in progress); the app bounds their size. */
  app?: Record<string, unknown>;
}
