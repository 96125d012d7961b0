//! `cloudmaster cert list|show|export|verify|revoke`: certificates of course completion.
//!
//! `export` writes the signed file byte for byte (or the Open Badges 3.0 credential);
//! `verify` ([`verify`]) checks a file offline against the issuer's key and, unless
//! `--offline`, asks the server whether it was revoked.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use cloudmaster_core::cert;
use serde::Serialize;
use uuid::Uuid;

use crate::context::Context;
use crate::output::{date, maybe_date, write_fields, write_table};

mod issuers;
mod verify;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CertCommand,
}

#[derive(Subcommand)]
enum CertCommand {
    /// List your certificates
    List,
    /// Show a certificate and whether it was revoked
    Show(Show),
    /// Save a certificate: the signed file (default) or an Open Badges 3.0 credential
    Export(Export),
    /// Check a certificate file's signature with the issuer's key, then its revocation
    Verify(verify::Verify),
    /// Revoke a certificate (admin)
    Revoke(Revoke),
}

#[derive(clap::Args)]
struct Show {
    /// Certificate id, from `cloudmaster cert list`
    id: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
enum Format {
    /// The signed certificate file, byte for byte as issued (verify with `cert verify`)
    Cloudmaster,
    /// An Open Badges 3.0 credential (JSON-LD with an eddsa-jcs-2022 proof) for badge wallets
    Ob3,
}

#[derive(clap::Args)]
struct Export {
    /// Certificate id, from `cloudmaster cert list`
    id: Uuid,
    /// What to write
    #[arg(long, value_enum, default_value_t = Format::Cloudmaster)]
    format: Format,
    /// Write to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
struct Revoke {
    /// Certificate id
    id: Uuid,
    /// Why; shown to anyone who checks the certificate
    #[arg(long)]
    reason: String,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        match self.command {
            CertCommand::List => list(ctx).await,
            CertCommand::Show(show) => show.run(ctx).await,
            CertCommand::Export(export) => export.run(ctx).await,
            CertCommand::Verify(verify) => verify.run(ctx).await,
            CertCommand::Revoke(revoke) => revoke.run(ctx).await,
        }
    }
}

async fn list(ctx: &Context) -> anyhow::Result<()> {
    let certificates = ctx.client()?.certificates().await?;
    ctx.print(&certificates, |out| {
        if certificates.is_empty() {
            return writeln!(
                out,
                "No certificates yet. Complete a course to earn one \
                 (`cloudmaster progress COURSE` shows what is left)."
            );
        }
        let mut table = ctx.table(&["ID", "COURSE", "TITLE", "ISSUED", "STATUS"]);
        for c in &certificates {
            let status = match &c.revoked_at {
                Some(at) => format!("revoked {}", date(at)),
                None => "valid".to_owned(),
            };
            table.add_row(vec![
                c.id.to_string(),
                c.course_id.clone(),
                c.course_title.clone(),
                date(&c.issued_at),
                status,
            ]);
        }
        write_table(out, &table)
    })
}

impl Show {
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        let file = client.certificate_file(self.id).await?;
        let signed = cert::parse_canonical(&file)
            .with_context(|| format!("the server sent an unreadable certificate {}", self.id))?;
        let status = client.certificate_status(self.id).await?;
        let claims = &signed.certificate;
        let value = serde_json::json!({ "certificate": claims, "status": status });
        ctx.print(&value, |out| {
            let state = match (&status.revoked_at, &status.reason) {
                (Some(at), reason) => ctx.red(&format!(
                    "revoked on {}: {}",
                    date(at),
                    reason.as_deref().unwrap_or("no reason given")
                )),
                (None, _) => ctx.green("valid"),
            };
            let mut fields = vec![
                ("Certificate", claims.id.to_string()),
                (
                    "Course",
                    format!(
                        "{} ({}, version {})",
                        claims.course_title, claims.course_id, claims.course_version
                    ),
                ),
                ("Learner", claims.learner_name.clone()),
                ("Issued", date(&claims.issued_at)),
                (
                    "Issuer",
                    format!("{} (key {})", claims.issuer, claims.key_id),
                ),
                ("Status", state),
            ];
            fields.extend(labs_field(claims));
            write_fields(out, &fields)
        })
    }
}

/// The `Labs` line of a certificate that lists labs: each lab passed, marked when its
/// verdict rests on checks that ran on the learner's machine only.
fn labs_field(claims: &cert::CertificateClaims) -> Option<(&'static str, String)> {
    if claims.labs.is_empty() {
        return None;
    }
    let labs: Vec<String> = claims
        .labs
        .iter()
        .map(|lab| {
            if lab.self_reported {
                format!(
                    "{} (self-reported: some checks ran on the learner's machine)",
                    lab.id
                )
            } else {
                lab.id.clone()
            }
        })
        .collect();
    Some(("Labs", labs.join(", ")))
}

impl Export {
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        let bytes = match self.format {
            // Byte for byte: any change, even whitespace, would fail verification.
            Format::Cloudmaster => client.certificate_file(self.id).await?,
            Format::Ob3 => {
                let credential = client.certificate_open_badge(self.id).await?;
                let mut text = serde_json::to_vec_pretty(&credential)?;
                text.push(b'\n');
                text
            }
        };
        let Some(path) = self.out else {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
            return Ok(());
        };
        std::fs::write(&path, &bytes)
            .with_context(|| format!("cannot write the certificate to {}", path.display()))?;
        let value = serde_json::json!({
            "id": self.id,
            "format": self.format,
            "path": path,
            "bytes": bytes.len(),
        });
        ctx.print(&value, |out| {
            let what = match self.format {
                Format::Cloudmaster => "certificate",
                Format::Ob3 => "Open Badges 3.0 credential",
            };
            writeln!(out, "Saved {what} {} to {}.", self.id, path.display())
        })
    }
}

impl Revoke {
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let info = ctx
            .client()?
            .revoke_certificate(self.id, &self.reason)
            .await?;
        ctx.print(&info, |out| {
            writeln!(
                out,
                "Revoked certificate {} ({}) on {}: {}",
                info.id,
                info.course_id,
                maybe_date(info.revoked_at.as_ref()),
                info.revoked_reason.as_deref().unwrap_or_default()
            )
        })
    }
}
