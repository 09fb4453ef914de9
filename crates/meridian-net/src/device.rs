//! This device's secret keys: in the OS keychain where one answers (Secret Service on
//! Linux, Keychain on macOS, Credential Manager on Windows), else in an encrypted key file
//! `device.key` in the data folder (headless Linux, CI).
//!
//! Where the key went is recorded in `sync.db` the first time, so a keychain that is
//! unreachable later is reported as such instead of quietly minting a new identity.
//!
//! The key file is sealed with Argon2id + XChaCha20-Poly1305 under `MERIDIAN_KEY_PASSPHRASE`
//! if set. Without it the passphrase is derived from the machine id and the data folder:
//! that keeps the key unreadable in a copy of the folder taken to another machine, but it
//! is not protection against someone who can read files as this user on this machine.

use std::path::Path;

use meridian_sync::DeviceKeys;
use meridian_sync::keyfile::{KdfParams, read_key_file_blocking, write_key_file_blocking};
use meridian_sync::keys::DEVICE_SECRET_BYTES;
use zeroize::Zeroizing;

use crate::SyncError;
use crate::client::sync_err;
use crate::db::{SyncDb, key};

const KEY_FILE: &str = "device.key";
const KEYCHAIN_SERVICE: &str = "meridian";
const IN_KEYCHAIN: &str = "keychain";
const IN_FILE: &str = "file";

/// Loads this device's keys, creating and storing them on first use.
pub(super) fn load_or_create(dir: &Path, db: &SyncDb) -> Result<DeviceKeys, SyncError> {
    load_or_create_in(dir, db, keychain_enabled())
}

fn load_or_create_in(dir: &Path, db: &SyncDb, try_keychain: bool) -> Result<DeviceKeys, SyncError> {
    let account = keychain_account(dir);
    match db.get_str(key::DEVICE_KEY_STORE).map_err(sync_err)?.as_deref() {
        Some(IN_KEYCHAIN) => keychain_read(&account).map_err(|e| {
            SyncError::Storage(format!(
                "this device's key is in the OS keychain, which cannot be read now ({e}); unlock or start the keychain and try again"
            ))
        }),
        Some(_) => read_key_file_blocking(&dir.join(KEY_FILE), &passphrase(dir)).map_err(|e| {
            SyncError::Storage(format!(
                "cannot read this device's key file ({e}); if MERIDIAN_KEY_PASSPHRASE was set when it was made, set it again"
            ))
        }),
        // No record (a new device, or `sync.db` was lost and rebuilt): a key already in
        // the folder or the keychain is this device's identity and must be kept.
        None if dir.join(KEY_FILE).exists() => {
            let keys = read_key_file_blocking(&dir.join(KEY_FILE), &passphrase(dir)).map_err(|e| {
                SyncError::Storage(format!(
                    "cannot read this device's key file {} ({e}); if MERIDIAN_KEY_PASSPHRASE was set when it was made, set it again (the file is left as it is)",
                    dir.join(KEY_FILE).display()
                ))
            })?;
            db.set(key::DEVICE_KEY_STORE, IN_FILE.as_bytes())
                .map_err(sync_err)?;
            tracing::info!(device = %keys.id(), "kept this device's key from its key file");
            Ok(keys)
        }
        None if try_keychain && let Ok(keys) = keychain_read(&account) => {
            db.set(key::DEVICE_KEY_STORE, IN_KEYCHAIN.as_bytes())
                .map_err(sync_err)?;
            tracing::info!(device = %keys.id(), "kept this device's key from the keychain");
            Ok(keys)
        }
        None => {
            let keys = DeviceKeys::generate(&mut rand::rng());
            let store = if try_keychain && keychain_write(&account, &keys).is_ok() {
                IN_KEYCHAIN
            } else {
                write_key_file_blocking(
                    &dir.join(KEY_FILE),
                    &keys,
                    &passphrase(dir),
                    KdfParams::default(),
                    &mut rand::rng(),
                )
                .map_err(sync_err)?;
                IN_FILE
            };
            db.set(key::DEVICE_KEY_STORE, store.as_bytes())
                .map_err(sync_err)?;
            tracing::info!(device = %keys.id(), store, "created this device's keys");
            Ok(keys)
        }
    }
}

/// `MERIDIAN_KEYCHAIN=off` keeps keys out of the OS keychain (tests, portable installs).
fn keychain_enabled() -> bool {
    std::env::var("MERIDIAN_KEYCHAIN").map_or(true, |v| v != "off")
}

fn keychain_account(dir: &Path) -> String {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    format!("device-key:{}", dir.display())
}

/// Stores the keys and reads them back: a keychain that accepts but cannot return a
/// secret (no unlocked collection) does not count.
fn keychain_write(account: &str, keys: &DeviceKeys) -> Result<(), keyring::Error> {
    let entry = keyring::Entry::new(KEYCHAIN_SERVICE, account)?;
    entry.set_secret(keys.to_secret_bytes().as_slice())?;
    match keychain_read(account) {
        Ok(back) if back.id() == keys.id() => Ok(()),
        Ok(_) => Err(keyring::Error::Invalid(
            "secret".into(),
            "read back differs".into(),
        )),
        Err(e) => Err(e),
    }
}

fn keychain_read(account: &str) -> Result<DeviceKeys, keyring::Error> {
    let secret = Zeroizing::new(keyring::Entry::new(KEYCHAIN_SERVICE, account)?.get_secret()?);
    let bytes: &[u8; DEVICE_SECRET_BYTES] = secret.as_slice().try_into().map_err(|_| {
        keyring::Error::Invalid("secret".into(), "not a Meridian device key".into())
    })?;
    Ok(DeviceKeys::from_secret_bytes(bytes))
}

fn passphrase(dir: &Path) -> Zeroizing<Vec<u8>> {
    if let Some(p) = std::env::var_os("MERIDIAN_KEY_PASSPHRASE").filter(|p| !p.is_empty()) {
        return Zeroizing::new(p.into_encoded_bytes());
    }
    let machine = std::fs::read("/etc/machine-id")
        .or_else(|_| std::fs::read("/var/lib/dbus/machine-id"))
        .unwrap_or_default();
    let mut hasher = blake3::Hasher::new_derive_key("meridian device key file passphrase v1");
    hasher.update(&machine);
    hasher.update(dir.display().to_string().as_bytes());
    Zeroizing::new(hasher.finalize().as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_keychain_the_key_goes_to_a_file_and_comes_back() {
        let dir = tempfile::tempdir().expect("test step");
        let db = SyncDb::open(&dir.path().join("sync.db")).expect("test step");
        let keys = load_or_create_in(dir.path(), &db, false).expect("test step");
        assert_eq!(
            db.get_str(key::DEVICE_KEY_STORE)
                .expect("test step")
                .as_deref(),
            Some(IN_FILE)
        );
        let file = std::fs::read(dir.path().join(KEY_FILE)).expect("test step");
        let secret = keys.to_secret_bytes();
        assert!(
            !file.windows(32).any(|w| w == &secret[..32]),
            "the key file holds no plaintext key"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("test step")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "only the owner can read the key file");
        }
        let again = load_or_create_in(dir.path(), &db, false).expect("test step");
        assert_eq!(again.id(), keys.id(), "the same identity after a restart");
        drop(db);
        // `sync.db` lost: the key file is still this device's identity.
        std::fs::remove_file(dir.path().join("sync.db")).expect("test step");
        let db = SyncDb::open(&dir.path().join("sync.db")).expect("test step");
        let kept = load_or_create_in(dir.path(), &db, false).expect("test step");
        assert_eq!(kept.id(), keys.id(), "a lost sync.db keeps the identity");
        assert_eq!(
            db.get_str(key::DEVICE_KEY_STORE)
                .expect("test step")
                .as_deref(),
            Some(IN_FILE)
        );
    }

    #[test]
    fn a_key_recorded_in_an_unreachable_keychain_is_an_error_not_a_new_identity() {
        let dir = tempfile::tempdir().expect("test step");
        let db = SyncDb::open(&dir.path().join("sync.db")).expect("test step");
        db.set(key::DEVICE_KEY_STORE, IN_KEYCHAIN.as_bytes())
            .expect("test step");
        // A fresh, random account name: nothing is stored under it in any keychain.
        let err = load_or_create(dir.path(), &db)
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("keychain"), "{err}");
        assert!(!dir.path().join(KEY_FILE).exists());
    }
}
