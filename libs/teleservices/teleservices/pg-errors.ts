import { SQLSTATE } from '#db';

export { pgCode, pgConstraint } from '#db';
export const UNIQUE_VIOLATION = SQLSTATE.UNIQUE_VIOLATION;
export const CHECK_VIOLATION = SQLSTATE.CHECK_VIOLATION;
/** Raised by trigger `teleservice_version_guard_trigger`. */
export const IMMUTABLE_VERSION = 'PV001';
