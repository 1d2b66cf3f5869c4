import type { Migration } from '@stateless-auth/sql'

// Timestamps are epoch seconds (BIGINT), booleans are implied by nullable timestamps, lists are JSON text.
// Codes and refresh tokens appear only as SHA-256 hashes: the table never holds a usable token.
export const migrations: Migration[] = [
  {
    id: '001-identities',
    up: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        name TEXT NOT NULL,
        email TEXT,
        disabled_at BIGINT,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        secret_hash TEXT,
        metadata TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE consents (
        user_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (user_id, client_id)
      );
    `,
  },
  {
    id: '002-grants-and-tokens',
    up: `
      CREATE TABLE grants (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        scope TEXT NOT NULL,
        resources TEXT NOT NULL,
        auth_time BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE INDEX grants_user ON grants (user_id);
      CREATE TABLE authorization_codes (
        code_hash TEXT PRIMARY KEY,
        grant_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        code_challenge TEXT NOT NULL,
        nonce TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        consumed_at BIGINT
      );
      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        grant_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        rotated_at BIGINT,
        revoked_at BIGINT
      );
      CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
      CREATE TABLE access_tokens (
        jti TEXT PRIMARY KEY,
        grant_id TEXT,
        client_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        audience TEXT NOT NULL,
        scope TEXT NOT NULL,
        issued_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE INDEX access_tokens_grant ON access_tokens (grant_id);
      CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);
    `,
  },
  {
    id: '003-signing-keys',
    up: `
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_key TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        activates_at BIGINT NOT NULL,
        retires_at BIGINT,
        drop_after BIGINT
      );
    `,
  },
  {
    // RFC 6749 §4.1.3: the token request must repeat redirect_uri only if the authorization request carried
    // it, so a code records whether it did. Codes issued before this column count as sent (the stricter rule).
    id: '004-code-redirect-uri-sent',
    up: 'ALTER TABLE authorization_codes ADD COLUMN redirect_uri_sent INTEGER NOT NULL DEFAULT 1;',
  },
  {
    // Failure and rate-limit counters shared by every replica (issue 12, item 3): one row per key, a fixed
    // window that restarts when `reset_at` (epoch milliseconds) has passed.
    id: '005-counters',
    up: `
      CREATE TABLE counters (
        key TEXT PRIMARY KEY,
        count BIGINT NOT NULL,
        reset_at BIGINT NOT NULL
      );
      CREATE INDEX counters_reset ON counters (reset_at);
    `,
  },
  {
    // draft-ietf-oauth-status-list: every access token owns one (list, idx) entry; the primary key makes two
    // replicas unable to hand out one index twice. `version` moves with every status change, in the same
    // transaction, so a cached list token is rebuilt after any revocation.
    id: '006-status-lists',
    up: `
      CREATE TABLE status_lists (
        id TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        bits INTEGER NOT NULL,
        version BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        sealed_at BIGINT
      );
      CREATE TABLE status_list_entries (
        list_id TEXT NOT NULL REFERENCES status_lists (id),
        idx INTEGER NOT NULL,
        status INTEGER NOT NULL,
        jti TEXT NOT NULL,
        client_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        user_id TEXT,
        grant_id TEXT,
        expires_at BIGINT NOT NULL,
        reusable_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (list_id, idx)
      );
      CREATE INDEX status_list_entries_jti ON status_list_entries (jti);
      CREATE INDEX status_list_entries_grant ON status_list_entries (grant_id);
      CREATE INDEX status_list_entries_user ON status_list_entries (user_id);
      -- Partial: only set bits are indexed, which is all a list build and a release read.
      CREATE INDEX status_list_entries_set ON status_list_entries (list_id, idx, status) WHERE status <> 0;
      CREATE INDEX status_list_entries_release ON status_list_entries (reusable_at) WHERE status <> 0;
    `,
  },
  {
    // Issue 12, item 4: the login session lives server-side, so sign-out and disabling a user end it. The cookie
    // holds a random id; the table its SHA-256. A grant remembers the session it was created in (logout revokes it).
    id: '007-sessions',
    up: `
      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        auth_time BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE INDEX sessions_expiry ON sessions (expires_at);
      ALTER TABLE grants ADD COLUMN session_id TEXT;
      CREATE INDEX grants_session ON grants (session_id);
    `,
  },
  {
    // RFC 9449 (issue 13). `dpop_proofs`: every proof jti seen at /token, shared by every replica (a unique key,
    // inserted with ON CONFLICT DO NOTHING), kept until its iat window closes (epoch milliseconds).
    // `dpop_bindings`: the key thumbprint a code (`code:<hash>`, from dpop_jkt) or a public client's grant
    // (`grant:<id>`, its refresh tokens) is bound to, kept as long as what it binds.
    id: '008-dpop',
    up: `
      CREATE TABLE dpop_proofs (
        key TEXT PRIMARY KEY,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX dpop_proofs_expiry ON dpop_proofs (expires_at);
      CREATE TABLE dpop_bindings (
        ref TEXT PRIMARY KEY,
        jkt TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX dpop_bindings_expiry ON dpop_bindings (expires_at);
    `,
  },
]
