/** Injection tokens of the shared infrastructure. */
export const REDIS = Symbol('REDIS');
export const APP_NAME = Symbol('APP_NAME');
