import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

export type ClientAuthMethod = 'client_secret_basic' | 'none';

/**
 * A relying party registered by the platform team (a commune's portal, the Parvis portal and back office).
 * The secret is kept encrypted (AES-256-GCM, key from IDENTITY_SECRET_KEY), never hashed: the provider must
 * compare it for `client_secret_basic`. Public clients (`none`) have no secret and rely on PKCE alone.
 *
 * Schema source of truth: migrations/1763800200000-identity.ts.
 */
@Entity({ name: 'oidc_client', schema: 'identity' })
@Check('oidc_client_client_id_check', `client_id ~ '^[a-z0-9][a-z0-9._-]{2,63}$'`)
@Check('oidc_client_auth_method_check', `token_endpoint_auth_method IN ('client_secret_basic', 'none')`)
@Check('oidc_client_secret_check', `(token_endpoint_auth_method = 'none') = (secret_encrypted IS NULL)`)
@Check('oidc_client_redirect_uris_check', `cardinality(redirect_uris) > 0`)
export class OidcClient {
  @PrimaryColumn({ name: 'client_id', type: 'text', primaryKeyConstraintName: 'oidc_client_pkey' })
  clientId: string;

  /** Shown to people on the consent screen: "Portail de la ville de Givors". */
  @Column({ name: 'name', type: 'text' })
  name: string;

  @Column({ name: 'secret_encrypted', type: 'text', nullable: true })
  secretEncrypted: string | null;

  @Column({ name: 'secret_rotated_at', type: 'timestamptz', nullable: true })
  secretRotatedAt: Date | null;

  @Column({ name: 'token_endpoint_auth_method', type: 'text' })
  tokenEndpointAuthMethod: ClientAuthMethod;

  /** Compared exactly (no prefix, no case folding, no extra query). */
  @Column({ name: 'redirect_uris', type: 'text', array: true })
  redirectUris: string[];

  @Column({ name: 'post_logout_redirect_uris', type: 'text', array: true })
  postLogoutRedirectUris: string[];

  @Column({ name: 'backchannel_logout_uri', type: 'text', nullable: true })
  backchannelLogoutUri: string | null;

  /** Scopes the client may request (`openid` always among them). */
  @Column({ name: 'allowed_scopes', type: 'text', array: true })
  allowedScopes: string[];

  /** False only for the platform's own apps; a partner's portal always asks the person. */
  @Column({ name: 'consent_required', type: 'boolean' })
  consentRequired: boolean;

  /** The collectivity whose service this is (null: the metropolis' platform itself). */
  @Column({ name: 'collectivity_id', type: 'uuid', nullable: true })
  collectivityId: string | null;

  /** Said on the consent screen: "pour suivre vos demandes d'état civil". */
  @Column({ name: 'purpose', type: 'text', nullable: true })
  purpose: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
