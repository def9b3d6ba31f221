export { WebSessionModule } from './web-session.module.js';
export { WebSession, SessionCookie, readCookie } from './web-session.js';
export { WebSessionStore, SESSION_IDLE_MS, SESSION_ABSOLUTE_MS, newSessionId, isSessionId } from './session-store.js';
export { WebApp, WEB_APP_OPTIONS, type WebAppOptions } from './web-app.js';
export { RelyingParty, IDENTITY_UNAVAILABLE } from './relying-party.js';
export { WEB_SESSION_STORE, CSRF_INVALID } from './web-session.middleware.js';
export { LOGIN_FAILED } from './auth.controller.js';
export { safeReturnTo } from './return-to.js';
export type { SessionUser, WebAppKind, WebSessionData, PendingLogin } from './web-session.types.js';
