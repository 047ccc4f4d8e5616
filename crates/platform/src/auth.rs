//! Who is calling: access-token claims, roles, the permission table, and the `AuthUser`
//! extractor every protected handler takes.
//!
//! Handlers ask for permissions, never role names, so what a role may do is decided in one
//! table ([`permissions_of`]). Tokens are verified against the [`KeyRing`] the identity
//! context keeps filled with its current and previous public keys.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use axum::{extract::FromRequestParts, http::request::Parts};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use crate::{ended_sessions::EndedSessions, Error};

/// Roles are identity's published language; what each may do is decided here.
pub use campus_contracts::identity::Role;

/// Things a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Operate the platform: all schools, the event backbone, platform settings.
    OperatePlatform,
    /// Change the school's settings and registration mode.
    ManageSchool,
    /// Create, invite, change the role of, deactivate and import the school's users.
    ManageUsers,
    /// Read the school's audit log.
    ReadAuditLog,
    /// Create courses and teach the ones they are a teacher of.
    Teach,
    /// Enroll in courses, submit work, take quizzes.
    Learn,
    /// Post, comment, react, chat.
    Socialize,
}

/// The one table that decides what each role may do.
pub fn permissions_of(role: Role) -> &'static [Permission] {
    use Permission::*;
    match role {
        Role::Student => &[Learn, Socialize],
        Role::Teacher => &[Teach, Socialize],
        Role::SchoolAdmin => &[ManageSchool, ManageUsers, ReadAuditLog, Teach, Socialize],
        Role::SuperAdmin => &[
            OperatePlatform,
            ManageSchool,
            ManageUsers,
            ReadAuditLog,
            Teach,
            Socialize,
        ],
    }
}

/// How long an access token is valid: identity signs them for this long, and a key another
/// process trusts may still have live tokens this long after it was last published.
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// The user's school id.
    pub school: String,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// Always `access`: refresh tokens are opaque and never accepted here.
    #[serde(default)]
    pub typ: String,
    /// The session the token belongs to (its refresh-token family); once the session ends,
    /// the token is refused.
    #[serde(default)]
    pub sid: String,
}

/// Public keys access tokens are verified with, by key id. Only EdDSA is accepted, so
/// `alg: none` and HS256-with-the-public-key tokens fail before any key is looked at.
///
/// A client sends the same token with every request for its lifetime, and checking an
/// Ed25519 signature costs more than serving a cached read; so tokens that verified are
/// remembered (by their whole text) until they expire. Any change to the keys forgets them all,
/// so a removed key stops its tokens at once.
#[derive(Clone)]
pub struct KeyRing {
    keys: Arc<RwLock<HashMap<String, DecodingKey>>>,
    verified: Arc<quick_cache::sync::Cache<String, Claims>>,
    /// When a published key set last confirmed the keys held (see [`KeyRing::replace_from_jwks`]).
    confirmed_at: Arc<Mutex<Option<Instant>>>,
    ended: EndedSessions,
}

/// Verified tokens remembered; about one per active client.
const VERIFIED_TOKENS: usize = 20_000;

impl Default for KeyRing {
    fn default() -> Self {
        Self {
            keys: Arc::default(),
            verified: Arc::new(quick_cache::sync::Cache::new(VERIFIED_TOKENS)),
            confirmed_at: Arc::default(),
            ended: EndedSessions::default(),
        }
    }
}

impl KeyRing {
    /// Adds an Ed25519 public key (32 raw bytes) under `kid`.
    pub fn insert_ed25519(&self, kid: &str, public_key: &[u8]) {
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        // Key ids are never reused for another key, so only a new id changes anything.
        if keys
            .insert(kid.to_owned(), DecodingKey::from_ed_der(public_key))
            .is_none()
        {
            self.verified.clear();
        }
    }

    /// Makes the ring hold exactly the Ed25519 keys of a JWKS document (RFC 7517/8037), as
    /// published by the identity context. Returns how many keys it holds.
    ///
    /// Identity keeps a key published until the last token it signed has expired, and starts
    /// publishing the next key before it signs with it; so every genuine set shares a key with
    /// the one fetched a minute before. A set that drops every key held now is refused until
    /// those keys' tokens must have expired (an [`ACCESS_TOKEN_LIFETIME`] after a set last
    /// confirmed them): whoever can tamper with one answer cannot swap the whole ring for keys
    /// of their own.
    pub fn replace_from_jwks(&self, jwks: &serde_json::Value) -> anyhow::Result<usize> {
        self.replace_from_jwks_at(jwks, Instant::now())
    }

    fn replace_from_jwks_at(
        &self,
        jwks: &serde_json::Value,
        now: Instant,
    ) -> anyhow::Result<usize> {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
        let keys = jwks["keys"]
            .as_array()
            .ok_or_else(|| anyhow::anyhow!("not a JWKS document"))?;
        let mut fresh = HashMap::new();
        for key in keys {
            if key["kty"] != "OKP" || key["crv"] != "Ed25519" {
                continue;
            }
            let (Some(kid), Some(x)) = (key["kid"].as_str(), key["x"].as_str()) else {
                continue;
            };
            let public = URL_SAFE_NO_PAD.decode(x.trim_end_matches('='))?;
            fresh.insert(kid.to_owned(), DecodingKey::from_ed_der(&public));
        }
        let count = fresh.len();
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        let mut confirmed_at = self.confirmed_at.lock().unwrap_or_else(|p| p.into_inner());
        let keeps_one = fresh.keys().any(|kid| keys.contains_key(kid));
        if let Some(confirmed) = *confirmed_at {
            let held_keys_may_have_live_tokens =
                now.saturating_duration_since(confirmed) < ACCESS_TOKEN_LIFETIME;
            if !keys.is_empty() && !keeps_one && held_keys_may_have_live_tokens {
                anyhow::bail!(
                    "refused a key set that drops every key trusted now ({} held, {count} offered); \
                     a genuine set keeps the current key until its tokens expire",
                    keys.len()
                );
            }
        }
        let same = keys.len() == fresh.len() && fresh.keys().all(|kid| keys.contains_key(kid));
        *keys = fresh;
        *confirmed_at = Some(now);
        if !same {
            self.verified.clear();
        }
        Ok(count)
    }

    /// How many keys the ring holds.
    pub fn len(&self) -> usize {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets a key; tokens signed with it stop verifying.
    pub fn remove(&self, kid: &str) {
        let removed = self
            .keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(kid);
        if removed.is_some() {
            self.verified.clear();
        }
    }

    /// The sessions whose tokens this ring refuses.
    pub fn ended_sessions(&self) -> &EndedSessions {
        &self.ended
    }

    pub fn verify(&self, token: &str) -> Result<Claims, Error> {
        let claims = self.verify_remembered(token)?;
        if self.ended.has_ended(&claims.sid) {
            return Err(Error::Unauthenticated {
                detail: "the session this access token belongs to has ended; sign in again".into(),
            });
        }
        Ok(claims)
    }

    fn verify_remembered(&self, token: &str) -> Result<Claims, Error> {
        if let Some(claims) = self.verified.get(token) {
            // The same leeway as the signature check below.
            if claims.exp + 5 > crate::time::now_ms() / 1000 {
                return Ok(claims);
            }
            self.verified.remove(token);
        }
        let claims = self.verify_signature(token)?;
        self.verified.insert(token.to_owned(), claims.clone());
        Ok(claims)
    }

    fn verify_signature(&self, token: &str) -> Result<Claims, Error> {
        let rejected = |why: &str| Error::Unauthenticated {
            detail: format!("the access token {why}"),
        };
        let header = decode_header(token).map_err(|_| rejected("is malformed"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(rejected("is not signed with an accepted algorithm"));
        }
        let kid = header.kid.ok_or_else(|| rejected("names no signing key"))?;
        let key = {
            let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
            if keys.is_empty() {
                // Not yet fetched (a process just started, before it is ready): the token may
                // be fine, so say this process cannot check it rather than refuse it (a 401
                // would sign a browser out).
                return Err(Error::Unavailable {
                    dependency: "signing keys".into(),
                });
            }
            keys.get(&kid).cloned()
        }
        .ok_or_else(|| rejected("was signed with an unknown key"))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        let claims = decode::<Claims>(token, &key, &validation)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => rejected("has expired"),
                _ => rejected("is invalid"),
            })?
            .claims;
        if claims.typ != "access" {
            return Err(rejected("is not an access token"));
        }
        Ok(claims)
    }
}

/// An authenticated caller. Taking it as an argument makes a route require a valid token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: String,
    pub school_id: String,
    pub role: Role,
    pub token_id: String,
    /// The session the token belongs to (empty for tokens from before sessions were named).
    pub session_id: String,
}

impl AuthUser {
    pub fn can(&self, permission: Permission) -> bool {
        permissions_of(self.role).contains(&permission)
    }

    /// Fails with 403 unless the caller's role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Error> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Error::forbidden("your role does not allow this"))
        }
    }
}

/// `Option<AuthUser>`: `None` without an `Authorization` header; a header that does not verify
/// is still refused.
impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if !parts.headers.contains_key(http::header::AUTHORIZATION)
            && crate::web_session::cookie(
                &parts.headers,
                crate::web_session::CookieNames::of(parts).access,
            )
            .is_none()
        {
            return Ok(None);
        }
        <Self as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let missing = || Error::Unauthenticated {
            detail: "send `Authorization: Bearer <access token>`".into(),
        };
        // A bearer token, or else the web session's cookie (which needs the CSRF token).
        let token = match parts.headers.get(http::header::AUTHORIZATION) {
            Some(header) => header
                .to_str()
                .ok()
                .and_then(|value| {
                    value
                        .strip_prefix("Bearer ")
                        .or_else(|| value.strip_prefix("bearer "))
                })
                .ok_or_else(missing)?,
            None => crate::web_session::access_token(parts)?.ok_or_else(missing)?,
        };
        let ring = parts
            .extensions
            .get::<KeyRing>()
            .ok_or_else(|| Error::internal(anyhow::anyhow!("no key ring installed")))?;
        let claims = ring.verify(token.trim())?;
        Ok(Self {
            user_id: claims.sub,
            school_id: claims.school,
            role: claims.role,
            token_id: claims.jti,
            session_id: claims.sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_super_admins_operate_the_platform() {
        for role in [Role::Student, Role::Teacher, Role::SchoolAdmin] {
            assert!(
                !permissions_of(role).contains(&Permission::OperatePlatform),
                "{role}"
            );
        }
        assert!(permissions_of(Role::SuperAdmin).contains(&Permission::OperatePlatform));
    }

    #[test]
    fn students_cannot_teach_or_manage() {
        let student = permissions_of(Role::Student);
        assert!(!student.contains(&Permission::Teach));
        assert!(!student.contains(&Permission::ManageUsers));
    }

    fn signed(kid: &str, pkcs8: &[u8], exp: i64) -> String {
        let now = crate::time::now_ms() / 1000;
        let claims = Claims {
            sub: "u".into(),
            school: "s".into(),
            role: Role::Student,
            exp: now + exp,
            iat: now,
            jti: "j".into(),
            typ: "access".into(),
            sid: "s".into(),
        };
        let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_ed_der(pkcs8),
        )
        .unwrap()
    }

    /// A process that has no keys yet cannot tell a good token from a bad one: 503, so that
    /// a proxy tries another process and a browser is not signed out. Once it holds keys, a
    /// token signed with none of them is refused.
    #[test]
    fn without_keys_a_token_is_not_refused_but_cannot_be_checked() {
        let pkcs8 =
            ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
                .unwrap();
        let token = signed("k1", pkcs8.as_ref(), 300);
        let ring = KeyRing::default();
        let status = |result: Result<Claims, Error>| result.unwrap_err().to_problem().status;
        assert_eq!(status(ring.verify(&token)), 503);
        let other =
            ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
                .unwrap();
        use ring::signature::KeyPair as _;
        let other = ring::signature::Ed25519KeyPair::from_pkcs8(other.as_ref()).unwrap();
        ring.insert_ed25519("k2", other.public_key().as_ref());
        assert_eq!(status(ring.verify(&token)), 401);
    }

    #[test]
    fn a_remembered_token_stops_verifying_when_its_key_goes() {
        use ring::signature::KeyPair as _;
        let pkcs8 =
            ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
                .unwrap();
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        let ring = KeyRing::default();
        ring.insert_ed25519("k1", pair.public_key().as_ref());
        let token = signed("k1", pkcs8.as_ref(), 300);
        assert!(ring.verify(&token).is_ok());
        assert!(ring.verify(&token).is_ok(), "from memory");
        // A token differing in one character is checked, not matched.
        let mut forged = token.clone();
        forged.pop();
        assert!(ring.verify(&forged).is_err());
        ring.remove("k1");
        assert!(ring.verify(&token).is_err());
        // Expired tokens are not served from memory either.
        ring.insert_ed25519("k1", pair.public_key().as_ref());
        let short = signed("k1", pkcs8.as_ref(), -10);
        assert!(ring.verify(&short).is_err());
    }

    fn jwks(kids: &[&str]) -> serde_json::Value {
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
        let keys: Vec<_> = kids
            .iter()
            .map(|kid| {
                serde_json::json!({ "kty": "OKP", "crv": "Ed25519", "kid": kid,
                                    "x": URL_SAFE_NO_PAD.encode([7u8; 32]) })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    #[test]
    fn a_key_set_that_drops_every_trusted_key_waits_until_their_tokens_expired() {
        let ring = KeyRing::default();
        let start = Instant::now();
        assert_eq!(ring.replace_from_jwks_at(&jwks(&["a"]), start).unwrap(), 1);
        // Rotation as identity does it: the next key appears, later the old one goes.
        let minute = Duration::from_secs(60);
        assert!(ring
            .replace_from_jwks_at(&jwks(&["a", "b"]), start + minute)
            .is_ok());
        assert!(ring
            .replace_from_jwks_at(&jwks(&["b"]), start + 2 * minute)
            .is_ok());
        // A set with none of the held keys is refused, and the ring keeps what it had…
        let swapped = jwks(&["mallory"]);
        assert!(ring
            .replace_from_jwks_at(&swapped, start + 3 * minute)
            .is_err());
        assert!(ring.keys.read().unwrap().contains_key("b"));
        let almost = start + 2 * minute + ACCESS_TOKEN_LIFETIME - Duration::from_secs(1);
        assert!(ring.replace_from_jwks_at(&swapped, almost).is_err());
        // …until every token the held keys signed must have expired.
        let later = start + 2 * minute + ACCESS_TOKEN_LIFETIME;
        assert!(ring.replace_from_jwks_at(&swapped, later).is_ok());
        // An empty ring (a process starting) takes the first set it gets.
        assert!(KeyRing::default().replace_from_jwks(&swapped).is_ok());
    }

    #[test]
    fn a_token_with_alg_none_is_refused() {
        // {"alg":"none","typ":"JWT","kid":"k"} . {"sub":"u","school":"s","role":"super_admin",...}
        let token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoiayJ9.eyJzdWIiOiJ1Iiwic2Nob29sIjoicyIsInJvbGUiOiJzdXBlcl9hZG1pbiIsImV4cCI6OTk5OTk5OTk5OSwiaWF0IjoxLCJqdGkiOiJqIiwidHlwIjoiYWNjZXNzIn0.";
        assert!(matches!(
            KeyRing::default().verify(token),
            Err(Error::Unauthenticated { .. })
        ));
    }
}
