import type { Request, Response } from 'express';
import { newSessionId, type WebSessionStore } from './session-store.js';
import type { ReleasedScope, SessionUser, WebSessionData } from './web-session.types.js';

/** Reads one cookie from the Cookie header. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The session cookie of one app: `__Host-<name>` over https (Secure, Path=/, no Domain), `<name>` over http. */
export class SessionCookie {
  constructor(
    private readonly baseName: string,
    readonly secure: boolean,
  ) {}

  get name() {
    return this.secure ? `__Host-${this.baseName}` : this.baseName;
  }

  private get options() {
    return { httpOnly: true, sameSite: 'lax' as const, secure: this.secure, path: '/' };
  }

  read(req: Request) {
    return readCookie(req, this.name);
  }

  set(res: Response, id: string) {
    res.cookie(this.name, id, this.options);
  }

  clear(res: Response) {
    res.clearCookie(this.name, this.options);
  }
}

/**
 * The current request's web session: absent until something needs it (a login starts, a form needs a CSRF
 * token). Every change is written to Redis at once, so the next request sees it.
 */
export class WebSession {
  constructor(
    private readonly store: WebSessionStore,
    private readonly cookie: SessionCookie,
    private readonly res: Response,
    private currentId: string | null,
    private value: WebSessionData | null,
  ) {}

  /** The session id (null without a session). Exposed for tests and logs, never rendered. */
  get id(): string | null {
    return this.currentId;
  }

  get data(): WebSessionData | null {
    return this.value;
  }

  get user(): SessionUser | undefined {
    return this.value?.user;
  }

  /** The CSRF token forms must carry (creates the session when there is none). */
  async csrfToken(): Promise<string> {
    return (await this.ensure()).csrf;
  }

  async ensure(): Promise<WebSessionData> {
    if (this.currentId && this.value) return this.value;
    this.currentId = newSessionId();
    this.value = this.store.fresh();
    await this.store.write(this.currentId, this.value);
    this.cookie.set(this.res, this.currentId);
    return this.value;
  }

  async update(change: (data: WebSessionData) => void): Promise<void> {
    const data = await this.ensure();
    change(data);
    await this.store.write(this.currentId!, data);
  }

  /** Data released by incremental authorizations for one purpose (`key`), by scope; empty without a session. */
  async released(key: string): Promise<Record<string, ReleasedScope>> {
    return this.currentId && this.value?.user ? this.store.released(this.currentId, key) : {};
  }

  async keepReleased(key: string, scope: string, entry: ReleasedScope): Promise<void> {
    if (this.currentId && this.value?.user) await this.store.keepReleased(this.currentId, key, scope, entry);
  }

  async moveReleased(from: string, to: string): Promise<void> {
    if (this.currentId && this.value?.user) await this.store.moveReleased(this.currentId, from, to);
  }

  /** Login: the old session (and its id) is gone; a new id and CSRF token carry the person (no fixation). */
  async startAuthenticated(user: SessionUser): Promise<void> {
    if (this.currentId) await this.store.remove(this.currentId, this.value);
    this.currentId = newSessionId();
    this.value = { ...this.store.fresh(), user };
    await this.store.write(this.currentId, this.value);
    await this.store.index(this.currentId, user);
    this.cookie.set(this.res, this.currentId);
  }

  async destroy(): Promise<void> {
    if (this.currentId) await this.store.remove(this.currentId, this.value);
    this.currentId = null;
    this.value = null;
    this.cookie.clear(this.res);
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by the web-session middleware on the portal and the back office. */
      webSession?: WebSession;
    }
  }
}
