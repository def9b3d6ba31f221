/** Nest injection token for the app's pino Logger. */
export const LOGGER = Symbol('LOGGER');
