//! An encrypted key file for a device's secret keys, for machines without an OS keychain
//! (headless Linux, CI). The only module that touches the file system.
//!
//! Format (version 1, 139 bytes): `MRDKEY` magic, version byte, Argon2id memory (KiB),
//! iterations and lanes as little-endian u32, 16-byte salt, 24-byte nonce, then the 64
//! secret bytes sealed with XChaCha20-Poly1305 under the Argon2id key, with everything
//! before the ciphertext as associated data.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::keys::{DEVICE_SECRET_BYTES, DeviceKeys};

const MAGIC: &[u8; 6] = b"MRDKEY";
const VERSION: u8 = 1;
const HEADER_BYTES: usize = 6 + 1 + 12 + 16 + 24;
const FILE_BYTES: usize = HEADER_BYTES + DEVICE_SECRET_BYTES + 16;

/// Argon2id cost. [`KdfParams::default`] follows OWASP's minimum (19 MiB, 2 passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub lanes: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            lanes: 1,
        }
    }
}

/// Costs above these are refused when reading, so a hostile file cannot make us spend
/// gigabytes or minutes.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 16;
const MAX_LANES: u32 = 16;

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading, writing or renaming failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not a Meridian key file (wrong magic or size).
    #[error("this is not a Meridian key file (wrong header or size)")]
    NotAKeyFile,
    /// Written by a newer version.
    #[error("key file format {0} is not supported by this version; update Meridian")]
    UnsupportedVersion(u8),
    /// The passphrase is wrong, or the file was altered.
    #[error("wrong passphrase, or the key file was altered")]
    WrongPassphrase,
    /// The Argon2 cost in the file is invalid or above the limits.
    #[error("key file asks for an invalid or excessive key-derivation cost")]
    BadParams,
}

fn derive_key(
    passphrase: &[u8],
    salt: &[u8; 16],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, KeyFileError> {
    let params = Params::new(params.memory_kib, params.iterations, params.lanes, Some(32))
        .map_err(|_| KeyFileError::BadParams)?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, salt, &mut key[..])
        .map_err(|_| KeyFileError::BadParams)?;
    Ok(key)
}

/// Encrypts `keys` under `passphrase`; the bytes of a key file.
pub fn seal_key_file<R: CryptoRng + RngCore>(
    keys: &DeviceKeys,
    passphrase: &[u8],
    params: KdfParams,
    rng: &mut R,
) -> Result<Vec<u8>, KeyFileError> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(FILE_BYTES);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    for n in [params.memory_kib, params.iterations, params.lanes] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    let key = derive_key(passphrase, &salt, params)?;
    let secret = keys.to_secret_bytes();
    let sealed = XChaCha20Poly1305::new((&*key).into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &secret[..],
                aad: &out,
            },
        )
        .expect("XChaCha20-Poly1305 encrypts 64 bytes");
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

/// Decrypts the bytes of a key file.
pub fn open_key_file(bytes: &[u8], passphrase: &[u8]) -> Result<DeviceKeys, KeyFileError> {
    if bytes.len() < MAGIC.len() + 1 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(KeyFileError::NotAKeyFile);
    }
    if bytes[MAGIC.len()] != VERSION {
        return Err(KeyFileError::UnsupportedVersion(bytes[MAGIC.len()]));
    }
    if bytes.len() != FILE_BYTES {
        return Err(KeyFileError::NotAKeyFile);
    }
    let params = KdfParams {
        memory_kib: u32_at(bytes, 7),
        iterations: u32_at(bytes, 11),
        lanes: u32_at(bytes, 15),
    };
    if params.memory_kib > MAX_MEMORY_KIB
        || params.iterations > MAX_ITERATIONS
        || params.lanes > MAX_LANES
    {
        return Err(KeyFileError::BadParams);
    }
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&bytes[19..35]);
    let (header, sealed) = bytes.split_at(HEADER_BYTES);
    let key = derive_key(passphrase, &salt, params)?;
    let secret = Zeroizing::new(
        XChaCha20Poly1305::new((&*key).into())
            .decrypt(
                XNonce::from_slice(&header[35..59]),
                Payload {
                    msg: sealed,
                    aad: header,
                },
            )
            .map_err(|_| KeyFileError::WrongPassphrase)?,
    );
    let secret: &[u8; DEVICE_SECRET_BYTES] = secret
        .as_slice()
        .try_into()
        .map_err(|_| KeyFileError::NotAKeyFile)?;
    Ok(DeviceKeys::from_secret_bytes(secret))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes an encrypted key file atomically (a temporary file in the same folder, synced,
/// then renamed over `path`), readable only by the owner on Unix. Blocks on disk IO.
pub fn write_key_file_blocking<R: CryptoRng + RngCore>(
    path: &Path,
    keys: &DeviceKeys,
    passphrase: &[u8],
    params: KdfParams,
    rng: &mut R,
) -> Result<(), KeyFileError> {
    let bytes = seal_key_file(keys, passphrase, params, rng)?;
    let mut tmp_name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(io(&tmp))?;
    file.write_all(&bytes).map_err(io(&tmp))?;
    file.sync_all().map_err(io(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io(path))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the rename itself durable; not every platform can open a folder.
        if let Ok(dir) = fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Reads and decrypts a key file. Blocks on disk IO and on Argon2id.
pub fn read_key_file_blocking(path: &Path, passphrase: &[u8]) -> Result<DeviceKeys, KeyFileError> {
    let bytes = fs::read(path).map_err(io(path))?;
    open_key_file(&bytes, passphrase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const FAST: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        lanes: 1,
    };

    #[test]
    fn a_key_file_round_trips_and_refuses_a_wrong_passphrase() {
        let mut rng = StdRng::seed_from_u64(5);
        let keys = DeviceKeys::generate(&mut rng);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("device.key");
        write_key_file_blocking(&path, &keys, b"correct horse", FAST, &mut rng).expect("write");
        let back = read_key_file_blocking(&path, b"correct horse").expect("read");
        assert_eq!(back.public(), keys.public());
        assert!(matches!(
            read_key_file_blocking(&path, b"wrong"),
            Err(KeyFileError::WrongPassphrase)
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Overwriting keeps one valid file (the temporary one was renamed away).
        write_key_file_blocking(&path, &keys, b"new passphrase", FAST, &mut rng).expect("rewrite");
        assert!(read_key_file_blocking(&path, b"new passphrase").is_ok());
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn altered_or_foreign_files_are_refused() {
        let mut rng = StdRng::seed_from_u64(6);
        let keys = DeviceKeys::generate(&mut rng);
        let bytes = seal_key_file(&keys, b"pw", FAST, &mut rng).expect("seal");
        assert_eq!(bytes.len(), FILE_BYTES);
        // Any altered byte after the version (costs, salt, nonce, ciphertext) is caught.
        for at in [8, 20, 40, 70, FILE_BYTES - 1] {
            let mut bad = bytes.clone();
            bad[at] ^= 1;
            assert!(open_key_file(&bad, b"pw").is_err(), "byte {at}");
        }
        let mut newer = bytes.clone();
        newer[6] = 2;
        assert!(matches!(
            open_key_file(&newer, b"pw"),
            Err(KeyFileError::UnsupportedVersion(2))
        ));
        assert!(matches!(
            open_key_file(b"hello", b"pw"),
            Err(KeyFileError::NotAKeyFile)
        ));
        assert!(matches!(
            open_key_file(&bytes[..100], b"pw"),
            Err(KeyFileError::NotAKeyFile)
        ));
        let mut greedy = bytes;
        greedy[7..11].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            open_key_file(&greedy, b"pw"),
            Err(KeyFileError::BadParams)
        ));
    }
}
