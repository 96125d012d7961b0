//! Issuer keys the CLI trusts, like ssh's `known_hosts`: `known_issuers.json` in the config
//! folder maps a server URL to the `issuer.json` it published the first time a certificate
//! was verified online against it. Later verifications use the saved keys, offline or not,
//! so a server that changed its key cannot silently vouch for certificates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use cloudmaster_core::api::IssuerKeys;
use cloudmaster_core::cert::{ALGORITHM, PublicKey};
use serde::{Deserialize, Serialize};
use url::Url;

/// The file's content.
#[derive(Debug, Default, Serialize, Deserialize)]
struct KnownIssuers {
    /// Server URL → its issuer keys.
    servers: BTreeMap<String, IssuerKeys>,
}

/// Where the trusted issuer keys are kept.
pub fn known_issuers_file(config_dir: &Path) -> PathBuf {
    config_dir.join("known_issuers.json")
}

fn load(path: &Path) -> anyhow::Result<KnownIssuers> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a list of issuer keys; fix or delete it (it is fetched again on the \
                 next online `cert verify`)",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KnownIssuers::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The saved keys of `server`, if any.
pub fn known(path: &Path, server: &Url) -> anyhow::Result<Option<IssuerKeys>> {
    Ok(load(path)?.servers.remove(server.as_str()))
}

/// Saves `keys` as the trusted keys of `server` (written to a temporary file, then renamed,
/// so a crash never leaves half a file).
pub fn remember(path: &Path, server: &Url, keys: &IssuerKeys) -> anyhow::Result<()> {
    let mut known = load(path)?;
    known.servers.insert(server.to_string(), keys.clone());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let temporary = path.with_extension("json.tmp");
    let mut text = serde_json::to_vec_pretty(&known)?;
    text.push(b'\n');
    std::fs::write(&temporary, text)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Reads an `issuer.json` file (`GET /.well-known/cloudmaster/issuer.json`, saved).
pub fn read_key_file(path: &Path) -> anyhow::Result<IssuerKeys> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the issuer key file {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is not an issuer key file; save the server's \
             /.well-known/cloudmaster/issuer.json",
            path.display()
        )
    })
}

/// The Ed25519 keys of `keys` (other algorithms are not used by cloudmaster).
pub fn public_keys(keys: &IssuerKeys, from: &str) -> anyhow::Result<Vec<PublicKey>> {
    let mut found = Vec::new();
    for key in keys.keys.iter().filter(|k| k.algorithm == ALGORITHM) {
        let public = PublicKey::from_base64url(&key.public_key)
            .with_context(|| format!("issuer key {} in {from}", key.key_id))?;
        if public.key_id() != key.key_id {
            anyhow::bail!(
                "issuer key {} in {from} is not the key its id names (the key's id is {})",
                key.key_id,
                public.key_id()
            );
        }
        found.push(public);
    }
    if found.is_empty() {
        anyhow::bail!("{from} has no Ed25519 issuer key");
    }
    Ok(found)
}
