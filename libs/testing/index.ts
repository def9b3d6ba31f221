export { testInfrastructure, databaseUrl, type TestInfrastructure } from './test-env.js';
export { createTestDatabase, dropDatabase, withAdminClient, type TestDatabase } from './test-database.js';
export { startTestApp, testEnvironment, testRedisPrefix, type TestApp, type TestAppOptions } from './test-app.js';
export { startSmtpSink, type SmtpSink, type CapturedMail } from './smtp-sink.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { launchBrowser, chromiumExecutable } from './browser.js';
export { ManualClock } from '#core';
export { seriousAccessibilityViolations } from './accessibility.js';
export { runScript, type ScriptOutcome } from './run-script.js';
