/**
 * The part of oidc-provider 9's API that Parvis uses (the package ships no type declarations).
 * See node_modules/oidc-provider/lib and its docs/README.md.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContextWithOIDC {
    req: IncomingMessage;
    res: ServerResponse;
    type: string;
    body: unknown;
    status: number;
    href: string;
    set(name: string, value: string): void;
    get(name: string): string;
    // FranceConnect federation and simulator (Koa request details and redirects).
    path: string;
    method: string;
    querystring: string;
    redirect(url: string): void;
    response: { get(name: string): string };
    cookies: { get(name: string, options?: { signed?: boolean }): string | undefined };
    oidc: {
      route?: string;
      client?: ProviderClient;
      session?: ProviderSession;
      params?: Record<string, unknown>;
      result?: InteractionResults;
      entities: Record<string, unknown>;
      provider: Provider;
      requestParamScopes: Set<string>;
      requestParamOIDCScopes: Set<string>;
      issuer: string;
    };
  }

  export interface ProviderClient {
    clientId: string;
    clientName?: string;
    sectorIdentifier?: string;
    redirectUris?: string[];
    postLogoutRedirectUris?: string[];
    grantTypeAllowed(type: string): boolean;
    clientAuthMethod: string;
    backchannelLogoutUri?: string;
    /** Posts a logout token (`sub` made pairwise, `sid`) to the client's back-channel logout URI. */
    backchannelLogout(sub: string, sid: string): Promise<void>;
  }

  export interface ProviderSession {
    uid: string;
    jti: string;
    accountId?: string;
    acr?: string;
    amr?: string[];
    destroyed?: boolean;
    grantIdFor(clientId: string): string | undefined;
    authTime(): number | undefined;
    // Used by the account area (apps/identity/web/account-session.ts).
    new?: boolean;
    exp?: number;
    loginTs?: number;
    authorizations?: Record<string, unknown>;
    loginAccount(details: { accountId: string; acr?: string; amr?: string[]; loginTs?: number; transient?: boolean }): void;
    resetIdentifier(): void;
    save(ttl: number): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface ProviderSessionStatic {
    new (): ProviderSession;
    /** The session of the request's cookie (a new, unsaved one when there is none). */
    get(ctx: { req: IncomingMessage; res: ServerResponse }): Promise<ProviderSession>;
  }

  export interface InteractionResults {
    login?: { accountId: string; acr?: string; amr?: string[]; remember?: boolean; ts?: number };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
    [key: string]: unknown;
  }

  export interface PromptDetail {
    name: 'login' | 'consent' | string;
    reasons: string[];
    details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  }

  export interface Interaction {
    uid: string;
    prompt: PromptDetail;
    params: Record<string, string | undefined> & { client_id: string; scope?: string; redirect_uri?: string };
    session?: { accountId: string; uid: string; cookie: string };
    grantId?: string;
    lastSubmission?: InteractionResults;
    returnTo: string;
  }

  export class Grant {
    constructor(properties: { accountId: string; clientId: string });
    static find(id: string): Promise<Grant | undefined>;
    accountId: string;
    clientId: string;
    jti: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    getOIDCScope(): string;
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface ProviderClientStatic {
    find(id: string): Promise<ProviderClient | undefined>;
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    proxy: boolean;
    issuer: string;
    Grant: typeof Grant;
    Client: ProviderClientStatic;
    Session: ProviderSessionStatic;
    cookieName(type: 'session' | 'interaction' | 'resume'): string;
    createContext(req: IncomingMessage, res: ServerResponse): {
      cookies: { set(name: string, value: string | null, options?: Record<string, unknown>): void };
    };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: InteractionResults, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    interactionResult(req: IncomingMessage, res: ServerResponse, result: InteractionResults, options?: { mergeWithLastSubmission?: boolean }): Promise<string>;
    on(event: string, listener: (...args: never[]) => void): this;
    /** A Koa middleware run before (and, after `await next()`, around) every provider route. */
    use(middleware: (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>): this;
  }

  export class Check {
    constructor(reason: string, description: string, check: (ctx: KoaContextWithOIDC) => boolean | Promise<boolean>);
    static REQUEST_PROMPT: true;
    static NO_NEED_TO_PROMPT: false;
  }

  export interface PromptPolicy {
    name: string;
    checks: Check[];
  }

  export const interactionPolicy: {
    Check: typeof Check;
    base(): PromptPolicy[] & { get(name: string): PromptPolicy | undefined };
  };

  export const errors: Record<string, new (...args: unknown[]) => Error>;

  export default Provider;
}
