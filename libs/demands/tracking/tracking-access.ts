import type { DataSource } from 'typeorm';
import { demandErrors } from '../demands.errors.js';
import { DemandRepository } from '../repositories/demand.repository.js';
import { platformScope, trackingScope, type TrackingScope } from '../tenancy/tenant-scope.js';
import { withTenant, type WithTenantOptions } from '../tenancy/with-tenant.js';
import { secretMatches } from './tracking-code.js';

/**
 * Opens a demand with its tracking code (and secret), for a person without an account: returns the tracking
 * scope to read it with, or throws DEMAND_TRACKING_ACCESS_REFUSED — the same error, after the same
 * constant-time comparison, whether the code is unknown, the secret wrong or missing, or the demand tied to an
 * account (its citizen logs in instead).
 *
 * A demand without a stored secret and without an account (typed in by an agent from a phone call) opens
 * with its code alone: 31^10 codes, and callers rate-limit this entry point.
 */
export async function openByTrackingCode(
  dataSource: DataSource,
  code: string,
  secret: string | undefined,
  options: WithTenantOptions = {},
): Promise<TrackingScope> {
  const found = await withTenant(
    dataSource,
    platformScope('ouverture d’une demande par code de suivi'),
    (manager) => new DemandRepository(manager).findByTrackingCode(code),
    options,
  );
  const secretOk = secretMatches(secret ?? '', found?.accessSecretHash ?? null);
  if (!found || found.accountSub !== null) throw demandErrors.trackingRefused();
  if (found.accessSecretHash !== null && !secretOk) throw demandErrors.trackingRefused();
  return trackingScope(found.id);
}
