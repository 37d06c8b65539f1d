//! A test identity provider: one key per accepted algorithm (made with openssl, as an operator
//! would), its public JWKS in a file, and tokens with any header and claims.

use std::path::{Path, PathBuf};
use std::process::Command;

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

pub const ISSUER: &str = "https://idp.test.example";
pub const AUDIENCE: &str = "uam-registry-test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    EdDsa,
    Es256,
    Rs256,
}

impl Alg {
    pub const ALL: [Alg; 3] = [Alg::EdDsa, Alg::Es256, Alg::Rs256];

    fn algorithm(self) -> Algorithm {
        match self {
            Alg::EdDsa => Algorithm::EdDSA,
            Alg::Es256 => Algorithm::ES256,
            Alg::Rs256 => Algorithm::RS256,
        }
    }

    fn openssl_args(self) -> &'static [&'static str] {
        match self {
            Alg::EdDsa => &["-algorithm", "ed25519"],
            Alg::Es256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            Alg::Rs256 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        }
    }

    pub fn kid(self) -> &'static str {
        match self {
            Alg::EdDsa => "test-ed",
            Alg::Es256 => "test-es",
            Alg::Rs256 => "test-rs",
        }
    }
}

pub struct Key {
    pub alg: Alg,
    pub pem: Vec<u8>,
    pub encoding: EncodingKey,
    pub public_jwk: Jwk,
}

/// Keys and the JWKS file that lists their public halves.
pub struct TestIdp {
    pub keys: Vec<Key>,
    pub jwks_path: PathBuf,
}

/// A private key in PKCS#8 PEM, made by the openssl command.
pub fn generate_pem(alg: Alg, dir: &Path) -> Vec<u8> {
    let out = dir.join(format!("{}.pem", alg.kid()));
    let status = Command::new("openssl")
        .args(["genpkey", "-quiet"])
        .args(alg.openssl_args())
        .arg("-out")
        .arg(&out)
        .status()
        .expect("the openssl command is needed to make test keys");
    assert!(status.success(), "openssl genpkey failed for {alg:?}");
    std::fs::read(out).unwrap()
}

pub fn load_key(alg: Alg, pem: Vec<u8>, kid: &str) -> Key {
    let encoding = match alg {
        Alg::EdDsa => EncodingKey::from_ed_pem(&pem),
        Alg::Es256 => EncodingKey::from_ec_pem(&pem),
        Alg::Rs256 => EncodingKey::from_rsa_pem(&pem),
    }
    .unwrap();
    let mut public_jwk = Jwk::from_encoding_key(&encoding, alg.algorithm()).unwrap();
    public_jwk.common.key_id = Some(kid.to_owned());
    Key {
        alg,
        pem,
        encoding,
        public_jwk,
    }
}

impl TestIdp {
    /// A key of each algorithm, the JWKS written into `dir`.
    pub fn new(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let keys: Vec<Key> = Alg::ALL
            .into_iter()
            .map(|alg| load_key(alg, generate_pem(alg, dir), alg.kid()))
            .collect();
        let jwks_path = dir.join("jwks.json");
        let set = JwkSet {
            keys: keys.iter().map(|k| k.public_jwk.clone()).collect(),
        };
        std::fs::write(&jwks_path, serde_json::to_vec(&set).unwrap()).unwrap();
        Self { keys, jwks_path }
    }

    pub fn key(&self, alg: Alg) -> &Key {
        self.keys.iter().find(|k| k.alg == alg).unwrap()
    }

    /// Standard claims valid for an hour.
    pub fn claims(sub: &str, agency: &str, role: &str) -> Value {
        let now = jsonwebtoken::get_current_timestamp();
        json!({
            "sub": sub, "agency": agency, "role": role,
            "iss": ISSUER, "aud": AUDIENCE,
            "iat": now, "nbf": now, "exp": now + 3600,
        })
    }

    /// A valid EdDSA token.
    pub fn token(&self, agency: &str, role: &str) -> String {
        self.sign(Alg::EdDsa, &Self::claims("tester", agency, role))
    }

    /// Any claims, signed with the key of `alg` under its kid.
    pub fn sign(&self, alg: Alg, claims: &Value) -> String {
        let key = self.key(alg);
        let mut header = Header::new(alg.algorithm());
        header.kid = Some(alg.kid().to_owned());
        jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
    }
}
