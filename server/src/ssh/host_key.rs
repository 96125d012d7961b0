//! The server's SSH host key: made once, kept in the data directory, so learners' clients
//! recognise the server from one start to the next (a new key each start would make
//! OpenSSH warn of a man in the middle).

use std::path::{Path, PathBuf};

use rand::RngCore as _;
use russh::keys::PrivateKey;
use russh::keys::ssh_key::LineEnding;
use russh::keys::ssh_key::private::Ed25519Keypair;

use crate::owner_only;
use crate::server_error::{Context as _, ServerError};

/// Where the host key lives in the data directory (OpenSSH's name and format).
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("ssh_host_ed25519_key")
}

/// The host key in `data_dir`, made (Ed25519, mode 0600) the first time. A key file that
/// other users may read is refused: it may have been copied.
pub fn load_or_create(data_dir: &Path) -> Result<PrivateKey, ServerError> {
    let path = path(data_dir);
    if path.exists() {
        owner_only::check_file(&path, "SSH host key")?;
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the SSH host key {}", path.display()))?;
        return PrivateKey::from_openssh(&text).map_err(|e| {
            ServerError::Refused(format!(
                "the SSH host key {} is not an OpenSSH private key ({e}); move it away to \
                 make a new one (clients will then warn that the host key changed)",
                path.display()
            ))
        });
    }
    owner_only::ensure_dir(data_dir, "data directory")?;
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| ServerError::Refused(format!("cannot encode the new SSH host key: {e}")))?;
    owner_only::write_atomic(&path, text.as_bytes())?;
    tracing::info!(path = %path.display(), "made the SSH host key");
    Ok(key)
}
