//! [`TokenVerifier`] over a JSON Web Key Set read from a file or fetched from a URL.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use domain::ports::{TokenRejected, TokenVerifier};
use domain::principal::VerifiedClaims;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Where the key set comes from: a local file, read once at start, or an `http(s)` URL, fetched
/// again by [`JwksVerifier::refresh_keys`] (which the composition root calls on an interval) and
/// when a token names a key id not yet known (the first time at once, then at most once per
/// [`VerifierSettings::refetch_interval`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    File(PathBuf),
    Url(String),
}

impl JwksSource {
    /// `http://` and `https://` values are URLs; anything else is a path.
    pub fn parse(value: &str) -> Self {
        if value.starts_with("https://") || value.starts_with("http://") {
            Self::Url(value.to_owned())
        } else {
            Self::File(PathBuf::from(value))
        }
    }
}

#[derive(Debug, Clone)]
pub struct VerifierSettings {
    pub source: JwksSource,
    pub issuer: String,
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
    /// Least time between two fetches of a URL key set caused by unknown key ids.
    pub refetch_interval: Duration,
}

/// The algorithms accepted: asymmetric only, so that no shared secret can forge a token.
const ACCEPTED: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

struct VerificationKey {
    key: DecodingKey,
    algorithm: Algorithm,
    /// The key as published, to tell whether a fetch changed it.
    jwk: Jwk,
}

/// Verifies tokens with the key whose `kid` they name, using only that key's own algorithm.
pub struct JwksVerifier {
    settings: VerifierSettings,
    keys: RwLock<HashMap<String, VerificationKey>>,
    /// Counts the key sets put in force; changed only under the write lock of `keys`.
    generation: AtomicU64,
    /// When an unknown `kid` last caused a re-fetch; `None` until the first one, so that a key
    /// rotated in after start is picked up at once.
    last_refresh: Mutex<Option<Instant>>,
    http: Option<reqwest::blocking::Client>,
    /// Tokens verified, each with the generation of the key set that verified it: only those of the
    /// set in force are recalled, so that no verification outlives the keys it was made with (the
    /// cache is also emptied when the set changes).
    verified: quick_cache::sync::Cache<String, Verified>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    agency: String,
    role: String,
    exp: i64,
}

/// Tokens verified recently, at most this many: a caller sends the same token with every request
/// until it expires, and checking its signature again costs more than the rest of a consultation.
const VERIFIED_TOKENS: usize = 10_000;

/// A token whose signature and claims were verified: valid, as far as the token itself goes, until
/// `valid_until` (its `exp` plus the leeway, in seconds since the epoch), as long as the key set
/// of `generation` is in force.
#[derive(Clone)]
struct Verified {
    claims: VerifiedClaims,
    generation: u64,
    valid_until: i64,
}

impl JwksVerifier {
    /// Reads the key set once. Fails when it cannot be read, is not a JWKS, or holds no usable key
    /// (one with a `kid` for RS256, ES256 on P-256 or EdDSA on Ed25519). Blocks.
    pub fn load(settings: VerifierSettings) -> anyhow::Result<Self> {
        let http = match settings.source {
            JwksSource::Url(_) => Some(
                reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .context("cannot build the JWKS HTTP client")?,
            ),
            JwksSource::File(_) => None,
        };
        let verifier = Self {
            keys: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            last_refresh: Mutex::new(None),
            http,
            settings,
            verified: quick_cache::sync::Cache::new(VERIFIED_TOKENS),
        };
        let keys = verifier.fetch()?;
        if keys.is_empty() {
            anyhow::bail!(
                "the JWKS at {:?} holds no usable key (RS256, ES256 or EdDSA, each with a kid)",
                verifier.settings.source
            );
        }
        *verifier
            .keys
            .write()
            .unwrap_or_else(PoisonError::into_inner) = keys;
        Ok(verifier)
    }

    /// Whether the key set is fetched from a URL, so that [`Self::refresh_keys`] can change it.
    pub fn is_remote(&self) -> bool {
        self.http.is_some()
    }

    /// Fetches a URL key set again, now, whatever the time of the last fetch; a key removed at the
    /// identity provider stops verifying tokens from here on, including tokens verified before
    /// (the cache of verified tokens is emptied when the set changed). A failed fetch, or a set
    /// without any usable key, keeps the keys in force and is an error. Does nothing for a file.
    /// Blocks.
    pub fn refresh_keys(&self) -> anyhow::Result<()> {
        if self.http.is_none() {
            return Ok(());
        }
        let keys = self.fetch()?;
        if keys.is_empty() {
            anyhow::bail!("the refreshed JWKS holds no usable key; keeping the keys in force");
        }
        self.install(keys);
        Ok(())
    }

    /// Puts `keys` in force; if they differ from those in force (a key added, removed or
    /// replaced under its kid), forgets every verified token.
    fn install(&self, keys: HashMap<String, VerificationKey>) {
        let mut current = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        let same = current.len() == keys.len()
            && keys
                .iter()
                .all(|(kid, key)| current.get(kid).is_some_and(|old| old.jwk == key.jwk));
        if same {
            return;
        }
        // A verification made with the old keys, even one stored after this, is never recalled:
        // its generation is the old one.
        self.generation.fetch_add(1, Ordering::SeqCst);
        *current = keys;
        drop(current);
        self.verified.clear();
        tracing::info!("the JWKS changed; tokens are verified again with the new keys");
    }

    fn fetch(&self) -> anyhow::Result<HashMap<String, VerificationKey>> {
        let text = match (&self.settings.source, &self.http) {
            (JwksSource::File(path), _) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the JWKS file {}", path.display()))?,
            (JwksSource::Url(url), Some(http)) => http
                .get(url)
                .send()
                .and_then(reqwest::blocking::Response::error_for_status)
                .and_then(reqwest::blocking::Response::text)
                .with_context(|| format!("cannot fetch the JWKS from {url}"))?,
            (JwksSource::Url(_), None) => anyhow::bail!("no HTTP client for the JWKS URL"),
        };
        let set: JwkSet =
            serde_json::from_str(&text).context("the JWKS is not a JSON Web Key Set")?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| match usable_key(jwk) {
                Ok(key) => key,
                Err(e) => {
                    tracing::warn!(kid = ?jwk.common.key_id, error = %e, "skipping a JWKS key");
                    None
                }
            })
            .collect())
    }

    /// Re-fetches a URL key set, for an unknown `kid`, if the last such fetch is older than the
    /// refetch interval.
    fn refresh(&self) {
        if self.http.is_none() {
            return;
        }
        {
            let mut last = self
                .last_refresh
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < self.settings.refetch_interval) {
                return;
            }
            *last = Some(Instant::now());
        }
        if let Err(e) = self.refresh_keys() {
            tracing::warn!(
                error = format!("{e:#}"),
                "cannot refresh the JWKS; keeping the old keys"
            );
        }
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut v = Validation::new(algorithm);
        v.set_issuer(&[&self.settings.issuer]);
        v.set_audience(&[&self.settings.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.validate_nbf = true;
        v.leeway = self.settings.leeway.as_secs();
        v
    }

    fn check(&self, token: &str) -> Result<Verified, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            ErrorKind::Json(_) | ErrorKind::InvalidAlgorithmName => {
                "the token's header is not acceptable (algorithm must be RS256, ES256 or EdDSA)"
                    .to_owned()
            }
            _ => "the token is not a well-formed JWS".to_owned(),
        })?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(format!(
                "algorithm {:?} is not accepted; use RS256, ES256 or EdDSA",
                header.alg
            ));
        }
        let kid = header.kid.ok_or("the token's header has no kid")?;
        if !self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(&kid)
        {
            self.refresh();
        }
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        let generation = self.generation.load(Ordering::SeqCst);
        let key = keys
            .get(&kid)
            .ok_or_else(|| format!("unknown key id `{kid}`"))?;
        if header.alg != key.algorithm {
            return Err(format!(
                "algorithm {:?} does not match key `{kid}` ({:?})",
                header.alg, key.algorithm
            ));
        }
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &self.validation(key.algorithm))
            .map_err(|e| describe(e.kind()))?;
        drop(keys);
        let claims = data.claims;
        for (name, value) in [
            ("sub", &claims.sub),
            ("agency", &claims.agency),
            ("role", &claims.role),
        ] {
            if value.trim().is_empty() {
                return Err(format!("the claim `{name}` is empty"));
            }
        }
        let leeway = i64::try_from(self.settings.leeway.as_secs()).unwrap_or(i64::MAX);
        let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0)
            .ok_or("the claim `exp` is out of range")?;
        Ok(Verified {
            claims: VerifiedClaims {
                subject: claims.sub,
                agency: claims.agency,
                role: claims.role,
                expires_at,
            },
            generation,
            valid_until: claims.exp.saturating_add(leeway),
        })
    }

    /// The claims of `token` if it was verified before, has not expired since, and the key set
    /// that verified it is still the one in force.
    fn remembered_claims(&self, token: &str) -> Option<VerifiedClaims> {
        let verified = self.verified.get(token)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok())?;
        let keys_kept = verified.generation == self.generation.load(Ordering::SeqCst);
        if now < verified.valid_until && keys_kept {
            Some(verified.claims)
        } else {
            self.verified.remove(token);
            None
        }
    }
}

impl TokenVerifier for JwksVerifier {
    /// Verifies the token's signature and claims once; until it expires (or the key set changes)
    /// the same token is answered from memory. Its lifetime, agency and role are checked by the
    /// caller on every request all the same.
    fn verify(&self, token: &str) -> Result<VerifiedClaims, TokenRejected> {
        if let Some(claims) = self.remembered_claims(token) {
            return Ok(claims);
        }
        match self.check(token) {
            Ok(verified) => {
                let claims = verified.claims.clone();
                self.verified.insert(token.to_owned(), verified);
                Ok(claims)
            }
            Err(reason) => Err(TokenRejected {
                reason,
                claimed_subject: claimed_subject(token),
            }),
        }
    }

    fn recall(&self, token: &str) -> Option<VerifiedClaims> {
        self.remembered_claims(token)
    }
}

/// The `sub` a token claims, read without any verification, for the audit trail of a refusal.
fn claimed_subject(token: &str) -> Option<String> {
    let claims: serde_json::Value = jsonwebtoken::dangerous::insecure_decode_claims(token).ok()?;
    let sub = claims.get("sub")?.as_str()?;
    Some(sub.chars().take(200).collect())
}

fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::InvalidSignature => "the signature does not verify".into(),
        ErrorKind::ExpiredSignature => "the token has expired".into(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".into(),
        ErrorKind::InvalidIssuer => "the token's issuer is not accepted".into(),
        ErrorKind::InvalidAudience => "the token's audience is not accepted".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("the token lacks the claim `{c}`"),
        ErrorKind::InvalidClaimFormat(c) => format!("the claim `{c}` has the wrong type"),
        ErrorKind::InvalidAlgorithm => "the token's algorithm does not match its key".into(),
        // Claims that fail to deserialize: a missing or mistyped `agency`, `role` or `sub`.
        ErrorKind::Json(e) => format!("the token's claims are not acceptable: {e}"),
        _ => "the token is not a well-formed JWS".into(),
    }
}

/// The key and its one algorithm, if the JWK is of an accepted kind and has a `kid`.
fn usable_key(jwk: &Jwk) -> anyhow::Result<Option<(String, VerificationKey)>> {
    let Some(kid) = jwk.common.key_id.clone() else {
        anyhow::bail!("the key has no kid");
    };
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        _ => {
            anyhow::bail!("unsupported key type; only RSA, EC P-256 and OKP Ed25519 keys are used")
        }
    };
    if let Some(declared) = jwk.common.key_algorithm
        && declared != KeyAlgorithm::from(by_type)
    {
        anyhow::bail!("declared alg {declared} is not accepted for this key type");
    }
    let key = DecodingKey::from_jwk(jwk).context("unusable key material")?;
    Ok(Some((
        kid,
        VerificationKey {
            key,
            algorithm: by_type,
            jwk: jwk.clone(),
        },
    )))
}
