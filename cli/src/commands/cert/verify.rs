//! `cloudmaster cert verify FILE [--key KEYFILE] [--offline]`.
//!
//! 1. The issuer key: `--key` (an `issuer.json` file), else the key saved for the configured
//!    server in `known_issuers.json`, else (online only) the server's published key, which
//!    is then saved — trust on first use, like ssh. When the certificate names a key that
//!    is not saved and the server, asked online, publishes it next to every saved key (it
//!    rotated its key), the new set is saved; a server that dropped a saved key is not
//!    believed.
//! 2. The file: byte for byte canonical, signed by that key ([`cert::verify_with_keys`]).
//! 3. Unless `--offline`: the server's revocation status for the certificate id.
//!
//! Prints a verdict and exits 0 only for a valid, unrevoked certificate; 1 otherwise.

use std::path::PathBuf;

use anyhow::Context as _;
use cloudmaster_core::api::{CertificateStatus, IssuerKeys};
use cloudmaster_core::cert::{self, CertificateClaims};
use serde::Serialize;

use super::issuers;
use crate::context::Context;
use crate::exit::{Exit, fail, fail_with_hint};
use crate::output::{date, write_fields};

#[derive(clap::Args)]
pub struct Verify {
    /// The certificate file (from `cloudmaster cert export ID --out FILE`)
    file: PathBuf,
    /// The issuer's key file (the server's /.well-known/cloudmaster/issuer.json, saved)
    /// [default: the key saved for the server on the first online verify]
    #[arg(long, value_name = "KEYFILE")]
    key: Option<PathBuf>,
    /// Check the signature only; do not ask the server whether the certificate was revoked
    #[arg(long)]
    offline: bool,
}

/// What `verify` found, as printed with `-o json`.
#[derive(Serialize)]
struct Verdict {
    file: PathBuf,
    /// True only for a correctly signed certificate that the server has not revoked (or,
    /// with `--offline`, a correctly signed one).
    valid: bool,
    /// `valid`, `invalid` (altered, not canonical, wrong key or signature), `revoked` or
    /// `unknown` (the server has no such certificate).
    verdict: &'static str,
    /// Why it is not valid.
    reason: Option<String>,
    /// Where the issuer key came from.
    key_source: String,
    /// What the certificate says (when its signature verified).
    certificate: Option<CertificateClaims>,
    /// Whether the server was asked about revocation.
    revocation_checked: bool,
    status: Option<CertificateStatus>,
}

impl Verify {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let file = std::fs::read(&self.file)
            .with_context(|| format!("cannot read the certificate file {}", self.file.display()))?;
        let wanted = cert::parse_canonical(&file)
            .ok()
            .map(|signed| signed.certificate.key_id);
        let (keys, key_source) = self.issuer_keys(ctx, wanted.as_deref()).await?;
        let mut verdict = Verdict {
            file: self.file.clone(),
            valid: false,
            verdict: "invalid",
            reason: None,
            key_source,
            certificate: None,
            revocation_checked: false,
            status: None,
        };
        match cert::verify_with_keys(&file, &keys) {
            Err(e) => verdict.reason = Some(e.to_string()),
            Ok(claims) if self.offline => {
                verdict.valid = true;
                verdict.verdict = "valid";
                verdict.certificate = Some(claims);
            }
            Ok(claims) => {
                let client = ctx.client()?;
                let status = match client.certificate_status(claims.id).await {
                    Ok(status) => Some(status),
                    Err(cloudmaster_core::Error::Api { status: 404, .. }) => None,
                    Err(e) => {
                        return Err(anyhow::Error::new(e).context(
                            "the signature is valid, but the revocation status could not be \
                             checked (use --offline to check the signature only)",
                        ));
                    }
                };
                verdict.revocation_checked = true;
                match &status {
                    None => {
                        verdict.verdict = "unknown";
                        verdict.reason = Some(format!(
                            "the server at {} has no certificate {}: it was not issued there",
                            client.base_url(),
                            claims.id
                        ));
                    }
                    Some(s) if !s.valid => {
                        verdict.verdict = "revoked";
                        verdict.reason = Some(format!(
                            "revoked on {}: {}",
                            s.revoked_at.as_ref().map_or_else(|| "-".to_owned(), date),
                            s.reason.as_deref().unwrap_or("no reason given")
                        ));
                    }
                    Some(_) => {
                        verdict.valid = true;
                        verdict.verdict = "valid";
                    }
                }
                verdict.certificate = Some(claims);
                verdict.status = status;
            }
        }
        self.print(ctx, &verdict)?;
        if verdict.valid {
            Ok(())
        } else {
            Err(fail(
                Exit::Failure,
                format!(
                    "{} is not a valid certificate: {}",
                    self.file.display(),
                    verdict.reason.as_deref().unwrap_or(verdict.verdict)
                ),
            ))
        }
    }

    /// The keys to verify with and a description of where they came from. `wanted` is the
    /// key the certificate names, if it could be read.
    async fn issuer_keys(
        &self,
        ctx: &Context,
        wanted: Option<&str>,
    ) -> anyhow::Result<(Vec<cert::PublicKey>, String)> {
        if let Some(path) = &self.key {
            let keys = issuers::read_key_file(path)?;
            let from = path.display().to_string();
            return Ok((issuers::public_keys(&keys, &from)?, from));
        }
        let server = &ctx.config.server.value;
        let known_file = issuers::known_issuers_file(&ctx.config.paths.config_dir);
        let from = format!("the key saved for {server} in {}", known_file.display());
        if let Some(keys) = issuers::known(&known_file, server)? {
            let unknown = wanted.filter(|id| !keys.keys.iter().any(|k| k.key_id == *id));
            if let Some(id) = unknown
                && !self.offline
                && let Some(rotated) = self.rotated_keys(ctx, &keys, id, &known_file).await?
            {
                return Ok(rotated);
            }
            return Ok((issuers::public_keys(&keys, &from)?, from));
        }
        if self.offline {
            return Err(fail_with_hint(
                Exit::Failure,
                format!("no issuer key is saved for {server}, and --offline forbids fetching it"),
                "pass the issuer's key file with --key issuer.json, or verify once online to \
                 save the server's key",
            ));
        }
        let keys = ctx.client()?.issuer_keys().await?;
        let public = issuers::public_keys(&keys, &format!("the keys published by {server}"))?;
        issuers::remember(&known_file, server, &keys)?;
        let ids: Vec<String> = public.iter().map(cert::PublicKey::key_id).collect();
        ctx.notice(&format!(
            "trusting the issuer key {} of {server} from now on (saved in {})",
            ids.join(", "),
            known_file.display()
        ));
        Ok((public, format!("the key published by {server}, now saved")))
    }

    /// The server's current keys when they add `wanted` to every key saved for it (a key
    /// rotation), saved from now on; `None` when they do not (or cannot be fetched), and
    /// the saved keys then decide.
    async fn rotated_keys(
        &self,
        ctx: &Context,
        saved: &IssuerKeys,
        wanted: &str,
        known_file: &std::path::Path,
    ) -> anyhow::Result<Option<(Vec<cert::PublicKey>, String)>> {
        let server = &ctx.config.server.value;
        let Ok(published) = ctx.client()?.issuer_keys().await else {
            return Ok(None);
        };
        let keeps_saved = saved.keys.iter().all(|old| {
            published
                .keys
                .iter()
                .any(|new| new.key_id == old.key_id && new.public_key == old.public_key)
        });
        if !keeps_saved || !published.keys.iter().any(|k| k.key_id == wanted) {
            return Ok(None);
        }
        let from = format!("the keys published by {server}");
        let public = issuers::public_keys(&published, &from)?;
        issuers::remember(known_file, server, &published)?;
        ctx.notice(&format!(
            "{server} added the issuer key {wanted} and still publishes every key trusted \
             before (a key rotation); trusting it from now on (saved in {})",
            known_file.display()
        ));
        Ok(Some((
            public,
            format!("{from}, with the new key {wanted} now saved"),
        )))
    }

    fn print(&self, ctx: &Context, verdict: &Verdict) -> anyhow::Result<()> {
        ctx.print(verdict, |out| {
            let headline = match verdict.verdict {
                "valid" => ctx.green("VALID"),
                "revoked" => ctx.red("REVOKED"),
                "unknown" => ctx.red("UNKNOWN"),
                _ => ctx.red("INVALID"),
            };
            writeln!(out, "{headline}  {}", self.file.display())?;
            let mut fields = Vec::new();
            if let Some(reason) = &verdict.reason {
                fields.push(("Reason", reason.clone()));
            }
            if let Some(c) = &verdict.certificate {
                fields.push(("Certificate", c.id.to_string()));
                fields.push((
                    "Course",
                    format!(
                        "{} ({}, version {})",
                        c.course_title, c.course_id, c.course_version
                    ),
                ));
                fields.push(("Learner", c.learner_name.clone()));
                fields.push(("Issued", format!("{} by {}", date(&c.issued_at), c.issuer)));
                fields.push(("Signature", format!("valid, key {}", c.key_id)));
                fields.extend(super::labs_field(c));
            }
            fields.push(("Issuer key", verdict.key_source.clone()));
            let revocation = match (&verdict.status, verdict.revocation_checked) {
                (_, false) if verdict.certificate.is_some() => "not checked (--offline)".to_owned(),
                (_, false) => "not checked".to_owned(),
                (Some(s), true) if s.valid => "not revoked".to_owned(),
                (Some(_), true) => "revoked".to_owned(),
                (None, true) => "unknown to the server".to_owned(),
            };
            fields.push(("Revocation", revocation));
            write_fields(out, &fields)
        })
    }
}
