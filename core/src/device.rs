//! This device's token for a server: what lets a login from a machine the account used
//! before skip failed-login back-off (an attacker guessing the password elsewhere cannot
//! make the owner's own laptop wait).
//!
//! One random secret per client installation, in `device-secret` (mode 0600) in the
//! client's data directory; the token sent to a server is derived from it and the server's
//! origin, so two servers cannot link the same device.

use std::io::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

const SECRET_FILE: &str = "device-secret";

/// The device token for `server`, creating this device's secret on first use.
pub fn token(data_dir: &Path, server: &url::Url) -> Result<String> {
    let secret = secret(data_dir)?;
    let mut hasher = Sha256::new();
    hasher.update(secret.as_bytes());
    hasher.update(b"\n");
    hasher.update(server.origin().ascii_serialization().as_bytes());
    Ok(hex::encode(hasher.finalize()))
}

fn secret(data_dir: &Path) -> Result<String> {
    let path = data_dir.join(SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(secret) if secret.trim().len() >= 32 => return Ok(secret.trim().to_owned()),
        Ok(_) => {} // empty or cut short: make a new one
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("cannot read", &path, e)),
    }
    std::fs::create_dir_all(data_dir).map_err(|e| Error::io("cannot create", data_dir, e))?;
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let secret = hex::encode(bytes);
    let mut file = tempfile::NamedTempFile::new_in(data_dir)
        .map_err(|e| Error::io("cannot write in", data_dir, e))?;
    file.write_all(secret.as_bytes())
        .map_err(|e| Error::io("cannot write", &path, e))?;
    // NamedTempFile is created 0600; keep a secret a concurrent run wrote first.
    match file.persist_noclobber(&path) {
        Ok(_) => Ok(secret),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            let secret =
                std::fs::read_to_string(&path).map_err(|e| Error::io("cannot read", &path, e))?;
            Ok(secret.trim().to_owned())
        }
        Err(e) => Err(Error::io("cannot write", &path, e.error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_per_server_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = url::Url::parse("https://a.example/cm/").unwrap();
        let b = url::Url::parse("https://b.example/").unwrap();
        let first = token(dir.path(), &a).unwrap();
        assert_eq!(first, token(dir.path(), &a).unwrap());
        assert_ne!(first, token(dir.path(), &b).unwrap());
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = tempfile::tempdir().unwrap();
        assert_ne!(first, token(other.path(), &a).unwrap());
    }
}
