import { Check, Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type CertificationLevel = 'none' | 'eidas1';
export type CertificationSource = 'franceconnect';

/** A postal address, as the OIDC `address` claim carries it. */
export interface PostalAddress {
  street_address?: string;
  postal_code?: string;
  locality?: string;
  country?: string;
}

/**
 * A person's territorial account. The email is stored lowercased (unique, the login). `password_hash` is an
 * argon2id PHC string; it is null only for an account created by federation (FranceConnect, later).
 * `certified_attributes` lists the claims certified by an identity provider: they are read-only for the person.
 *
 * Schema source of truth: migrations/1763800200000-identity.ts and 1763801400000-account-erasure.ts.
 */
@Entity({ name: 'account', schema: 'identity' })
@Unique('account_email_key', ['email'])
@Check('account_email_check', `email = lower(email)`)
@Check('account_certification_level_check', `certification_level IN ('none', 'eidas1')`)
@Check(
  'account_certification_source_check',
  `(certification_level = 'none' AND certification_source IS NULL) OR (certification_level <> 'none' AND certification_source IS NOT NULL)`,
)
export class Account {
  @PrimaryGeneratedColumn('uuid', { name: 'id', primaryKeyConstraintName: 'account_pkey' })
  id: string;

  @Column({ name: 'email', type: 'text' })
  email: string;

  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt: Date | null;

  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash: string | null;

  @Column({ name: 'given_name', type: 'text', nullable: true })
  givenName: string | null;

  @Column({ name: 'family_name', type: 'text', nullable: true })
  familyName: string | null;

  @Column({ name: 'preferred_username', type: 'text', nullable: true })
  preferredUsername: string | null;

  /** `YYYY-MM-DD`. */
  @Column({ name: 'birthdate', type: 'date', nullable: true })
  birthdate: string | null;

  @Column({ name: 'gender', type: 'text', nullable: true })
  gender: string | null;

  @Column({ name: 'phone', type: 'text', nullable: true })
  phone: string | null;

  @Column({ name: 'address', type: 'jsonb', nullable: true })
  address: PostalAddress | null;

  @Column({ name: 'certification_level', type: 'text' })
  certificationLevel: CertificationLevel;

  @Column({ name: 'certification_source', type: 'text', nullable: true })
  certificationSource: CertificationSource | null;

  @Column({ name: 'certified_attributes', type: 'text', array: true })
  certifiedAttributes: string[];

  /** Set when mail to the address bounces permanently: the person is asked to fix it. */
  @Column({ name: 'failing_email', type: 'boolean', default: false })
  failingEmail: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt: Date | null;

  /** When the mail announcing the deletion of this unused account was sent (migration 1763801400000). */
  @Column({ name: 'inactivity_warned_at', type: 'timestamptz', nullable: true })
  inactivityWarnedAt: Date | null;

  /**
   * The person's explicit, revocable choice « Recevoir les SMS de suivi de mes démarches » (at the mobile number of
   * `phone`), read by the worker when an SMS is due (migration 1763802000000, docs/worker.md).
   */
  @Column({ name: 'sms_consent', type: 'boolean', default: false })
  smsConsent: boolean;

  /** When the SMS choice was last made (given or withdrawn); null: never made. */
  @Column({ name: 'sms_consent_at', type: 'timestamptz', nullable: true })
  smsConsentAt: Date | null;
}
