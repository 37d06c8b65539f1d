//! The development signing key of the embedded default: an Ed25519 key pair created on first start
//! under the data folder (never in the repository), with its public half written as a JWKS.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;

const KEY_FILE: &str = "dev-signing-key.pem";
const JWKS_FILE: &str = "dev-jwks.json";

/// The development key pair, loaded from (or created in) a data folder.
pub struct DevKey {
    encoding: EncodingKey,
    kid: String,
    jwks_path: PathBuf,
}

/// What a development token says.
#[derive(Debug, Clone)]
pub struct DevClaims {
    pub subject: String,
    pub agency: String,
    pub role: String,
    pub issuer: String,
    pub audience: String,
    pub ttl: Duration,
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    agency: &'a str,
    role: &'a str,
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
}

impl DevKey {
    /// Loads the key pair kept in `dir`, creating it (readable by its owner only) on first use, and
    /// (re)writes the public JWKS beside it. Safe against a concurrent first start.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let key_path = dir.join(KEY_FILE);
        if !key_path.exists() {
            create_key_file(&key_path)?;
        }
        Self::load(dir)
    }

    /// The key the service made in `dir`; fails, saying so, when there is none (a token signed
    /// with a new key would be refused by a service that uses another).
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let key_path = dir.join(KEY_FILE);
        if !key_path.exists() {
            let shown = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
            anyhow::bail!(
                "no development key in {}: the service makes it when it first starts with this \
                 data_dir; give `token` the service's data_dir (UAM_DATA_DIR or --config)",
                shown.display()
            );
        }
        let pem = std::fs::read_to_string(&key_path)
            .with_context(|| format!("cannot read the development key {}", key_path.display()))?;
        let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            anyhow::anyhow!("{} is not an Ed25519 PKCS#8 key: {e}", key_path.display())
        })?;
        let encoding = EncodingKey::from_ed_der(
            signing
                .to_pkcs8_der()
                .map_err(anyhow::Error::msg)?
                .as_bytes(),
        );
        let public = DecodingKey::from_ed_der(signing.verifying_key().as_bytes());
        let mut jwk = Jwk::from_decoding_key(&public, Some(Algorithm::EdDSA))
            .context("deriving the public JWK")?;
        let thumbprint = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .context("hashing the public JWK")?;
        let kid = format!("dev-{}", &thumbprint[..16.min(thumbprint.len())]);
        jwk.common.key_id = Some(kid.clone());
        let jwks_path = dir.join(JWKS_FILE);
        let set = JwkSet { keys: vec![jwk] };
        std::fs::write(&jwks_path, serde_json::to_vec_pretty(&set)?)
            .with_context(|| format!("cannot write {}", jwks_path.display()))?;
        Ok(Self {
            encoding,
            kid,
            jwks_path,
        })
    }

    /// The file holding the public key set, to verify tokens with.
    pub fn jwks_path(&self) -> &Path {
        &self.jwks_path
    }

    /// A token valid from now for `ttl`, signed with the development key.
    pub fn mint(&self, claims: &DevClaims) -> anyhow::Result<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        let body = Claims {
            sub: &claims.subject,
            agency: &claims.agency,
            role: &claims.role,
            iss: &claims.issuer,
            aud: &claims.audience,
            iat: now,
            nbf: now,
            exp: now.saturating_add(claims.ttl.as_secs()),
        };
        jsonwebtoken::encode(&header, &body, &self.encoding).context("signing the token")
    }
}

fn create_key_file(path: &Path) -> anyhow::Result<()> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness for the key: {e}"))?;
    let pem = SigningKey::from_bytes(&seed)
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("encoding the key: {e}"))?;
    // Written aside, then linked into place: the link fails if another process won the race, and
    // nobody ever reads a half-written key.
    let aside = path.with_extension(format!("pem.{}", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&aside)
        .with_context(|| format!("cannot create {}", aside.display()))?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", aside.display()))?;
    let linked = std::fs::hard_link(&aside, path);
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}
