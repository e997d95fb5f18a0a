//! Envelope encryption.
//!
//! * The **key-encryption key** (KEK, 256 bits) lives outside the database: in a
//!   file created with mode 0600 on first start, or in an environment variable.
//!   The database records only its fingerprint, so a hub started with the wrong
//!   KEK refuses to start before it changes anything.
//! * Each organisation has **data keys** (DEKs), stored wrapped by the KEK.
//!   Rotating the KEK re-wraps the DEKs; the data they protect is untouched.
//! * A **sealed field** is XChaCha20-Poly1305 ciphertext under an organisation's
//!   DEK whose associated data names the table, column, row id, organisation and
//!   key version, so a ciphertext copied to another row, column or organisation
//!   fails to decrypt.

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::StoreError;

const SEALED_MAGIC: &[u8; 3] = b"VS1";
const WRAP_MAGIC: &[u8; 3] = b"VW1";
const NONCE_LEN: usize = 24;

/// A 256-bit key (KEK or DEK), zeroed on drop.
#[derive(Clone)]
pub struct Key(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    pub fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(k.as_mut());
        Key(k)
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(Key(Zeroizing::new(arr)))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A public identifier of the key (not usable to recover it).
    pub fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"vigilo-kek-fingerprint-v1\0");
        h.update(self.0.as_ref());
        hex::encode(&h.finalize()[..16])
    }

    /// Parses the textual form used in key files and `VIGILO_KEK`: 64 hex digits
    /// or 43/44 characters of base64, surrounding whitespace ignored.
    pub fn parse_text(text: &str) -> Option<Self> {
        use base64::Engine as _;
        let t = text.trim();
        if t.len() == 64 {
            if let Ok(b) = hex::decode(t) {
                return Self::from_bytes(&b);
            }
        }
        base64::engine::general_purpose::STANDARD
            .decode(t)
            .ok()
            .or_else(|| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(t)
                    .ok()
            })
            .and_then(|b| Self::from_bytes(&b))
    }

    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_ref().into())
    }
}

/// Where the KEK comes from.
#[derive(Debug, Clone)]
pub enum KekSource {
    /// A key file; created (mode 0600) when absent and the database is new.
    File(PathBuf),
    /// The key itself, e.g. from `VIGILO_KEK`.
    Inline(String),
}

impl KekSource {
    /// Loads the key. With `create` a missing file is created with a fresh key.
    pub fn load(&self, create: bool) -> Result<(Key, bool), StoreError> {
        match self {
            KekSource::Inline(text) => Key::parse_text(text).map(|k| (k, false)).ok_or_else(|| {
                StoreError::Kek("the KEK given inline is not 32 bytes of hex or base64".into())
            }),
            KekSource::File(path) => match fs_err::read_to_string(path) {
                Ok(text) => Key::parse_text(&text).map(|k| (k, false)).ok_or_else(|| {
                    StoreError::Kek(format!(
                        "{}: not a KEK file (expected 64 hex digits)",
                        path.display()
                    ))
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                    let key = Key::generate();
                    write_secret_file(path, key.to_text().as_bytes())?;
                    Ok((key, true))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Err(StoreError::Kek(format!(
                        "{}: KEK file not found, and the database already holds encrypted data; \
                     restore the key file or pass the right one with --kek-file / VIGILO_KEK",
                        path.display()
                    )))
                }
                Err(e) => Err(StoreError::Io(e)),
            },
        }
    }
}

/// Writes `contents` to `path` atomically with mode 0600 (parent made 0700).
pub fn write_secret_file(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs_err::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    let tmp = path.with_extension("tmp");
    let mut opts = fs_err::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(contents)?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    drop(f);
    fs_err::rename(&tmp, path)?;
    Ok(())
}

fn random_nonce() -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut n);
    n
}

fn dek_aad(purpose: &str, owner: &str, version: i64) -> Vec<u8> {
    format!("vigilo/wrap/v1\0{purpose}\0{owner}\0{version}").into_bytes()
}

/// Wraps a data key (or any secret key) under the KEK, bound to its owner and version.
pub fn wrap_key(kek: &Key, purpose: &str, owner: &str, version: i64, key: &Key) -> Vec<u8> {
    let nonce = random_nonce();
    let aad = dek_aad(purpose, owner, version);
    let ct = kek
        .cipher()
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: key.as_bytes(),
                aad: &aad,
            },
        )
        .expect("XChaCha20-Poly1305 encryption of 32 bytes cannot fail");
    let mut out = Vec::with_capacity(3 + NONCE_LEN + ct.len());
    out.extend_from_slice(WRAP_MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// Unwraps a key wrapped with [`wrap_key`].
pub fn unwrap_key(
    kek: &Key,
    purpose: &str,
    owner: &str,
    version: i64,
    wrapped: &[u8],
) -> Result<Key, StoreError> {
    let fail = || StoreError::Decrypt(format!("wrapped {purpose} key of {owner} v{version}"));
    if wrapped.len() < 3 + NONCE_LEN || &wrapped[..3] != WRAP_MAGIC {
        return Err(fail());
    }
    let (nonce, ct) = wrapped[3..].split_at(NONCE_LEN);
    let aad = dek_aad(purpose, owner, version);
    let pt = Zeroizing::new(
        kek.cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| fail())?,
    );
    Key::from_bytes(&pt).ok_or_else(fail)
}

/// The place a sealed value belongs to; bound into its ciphertext.
#[derive(Debug, Clone, Copy)]
pub struct FieldRef<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row_id: &'a str,
    pub org_id: &'a str,
}

impl FieldRef<'_> {
    fn aad(&self, key_version: u32) -> Vec<u8> {
        format!(
            "vigilo/sealed/v1\0{}\0{}\0{}\0{}\0{}",
            self.table, self.column, self.row_id, self.org_id, key_version
        )
        .into_bytes()
    }

    fn describe(&self) -> String {
        format!("{}.{} of row {}", self.table, self.column, self.row_id)
    }
}

/// Encrypts `plaintext` for `field` under data key `dek` of version `key_version`.
///
/// Layout: `"VS1" | key_version (u32 BE) | nonce (24) | ciphertext+tag`.
pub fn seal(dek: &Key, key_version: u32, field: FieldRef<'_>, plaintext: &[u8]) -> Vec<u8> {
    let nonce = random_nonce();
    let aad = field.aad(key_version);
    let ct = dek
        .cipher()
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
    let mut out = Vec::with_capacity(7 + NONCE_LEN + ct.len());
    out.extend_from_slice(SEALED_MAGIC);
    out.extend_from_slice(&key_version.to_be_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// The key version a sealed value was encrypted under.
pub fn sealed_key_version(blob: &[u8]) -> Option<u32> {
    if blob.len() < 7 + NONCE_LEN || &blob[..3] != SEALED_MAGIC {
        return None;
    }
    Some(u32::from_be_bytes([blob[3], blob[4], blob[5], blob[6]]))
}

/// Decrypts a value sealed with [`seal`]; fails if it was moved to another field.
pub fn open(dek: &Key, field: FieldRef<'_>, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let version = sealed_key_version(blob)
        .ok_or_else(|| StoreError::Decrypt(format!("{}: not a sealed value", field.describe())))?;
    let (nonce, ct) = blob[7..].split_at(NONCE_LEN);
    let aad = field.aad(version);
    dek.cipher()
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
        .map(Zeroizing::new)
        .map_err(|_| {
            StoreError::Decrypt(format!(
                "{}: authentication failed (wrong key, or the ciphertext belongs to another row)",
                field.describe()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(row: &str) -> FieldRef<'_> {
        FieldRef {
            table: "t",
            column: "c",
            row_id: row,
            org_id: "o",
        }
    }

    #[test]
    fn seal_open_round_trip_and_binding() {
        let dek = Key::generate();
        let blob = seal(&dek, 1, field("r1"), b"secret contact");
        assert_eq!(sealed_key_version(&blob), Some(1));
        assert!(!blob.windows(6).any(|w| w == b"secret"));
        assert_eq!(&*open(&dek, field("r1"), &blob).unwrap(), b"secret contact");
        assert!(
            open(&dek, field("r2"), &blob).is_err(),
            "moved to another row"
        );
        let other_col = FieldRef {
            column: "d",
            ..field("r1")
        };
        assert!(
            open(&dek, other_col, &blob).is_err(),
            "moved to another column"
        );
        assert!(open(&Key::generate(), field("r1"), &blob).is_err());
        let mut tampered = blob.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(open(&dek, field("r1"), &tampered).is_err());
        // Changing the version byte breaks the AAD too.
        let mut bumped = blob;
        bumped[6] = 2;
        assert!(open(&dek, field("r1"), &bumped).is_err());
    }

    #[test]
    fn wrap_unwrap() {
        let kek = Key::generate();
        let dek = Key::generate();
        let w = wrap_key(&kek, "org", "o1", 1, &dek);
        let back = unwrap_key(&kek, "org", "o1", 1, &w).unwrap();
        assert_eq!(back.as_bytes(), dek.as_bytes());
        assert!(unwrap_key(&kek, "org", "o2", 1, &w).is_err());
        assert!(unwrap_key(&kek, "org", "o1", 2, &w).is_err());
        assert!(unwrap_key(&Key::generate(), "org", "o1", 1, &w).is_err());
    }

    #[test]
    fn key_text_forms() {
        let k = Key::generate();
        let hex_form = k.to_text();
        assert_eq!(Key::parse_text(&hex_form).unwrap().as_bytes(), k.as_bytes());
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(k.as_bytes());
        assert_eq!(Key::parse_text(&b64).unwrap().as_bytes(), k.as_bytes());
        assert!(Key::parse_text("short").is_none());
        assert_ne!(k.fingerprint(), Key::generate().fingerprint());
    }

    #[test]
    fn key_file_created_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/kek");
        let src = KekSource::File(path.clone());
        assert!(src.load(false).is_err());
        let (k1, created) = src.load(true).unwrap();
        assert!(created);
        let (k2, created) = src.load(true).unwrap();
        assert!(!created);
        assert_eq!(k1.as_bytes(), k2.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
