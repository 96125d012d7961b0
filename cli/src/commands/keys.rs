//! `cloudmaster keys add|list|remove`: SSH public keys linked to your account, which sign
//! in to the terminal UI over SSH. The server checks each key; this command only reads the
//! file, and refuses to read past the first line of a private key.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use cloudmaster_core::api::{AddSshKeyRequest, MAX_PUBLIC_KEY_BYTES};
use uuid::Uuid;

use crate::context::Context;
use crate::exit::{Exit, fail, fail_with_hint};
use crate::output::{date, maybe_date, write_fields, write_table};

/// `cloudmaster keys add --help`.
const ADD_EXAMPLES: &str = "\
Examples:
  cloudmaster keys add ~/.ssh/id_ed25519.pub
  cloudmaster keys add ~/.ssh/id_ecdsa.pub --name \"work laptop\"
  ssh-add -L | head -n 1 | cloudmaster keys add -";

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Link an SSH public key (a .pub file) to your account
    #[command(after_help = ADD_EXAMPLES)]
    Add(Add),
    /// List the SSH keys linked to your account
    List,
    /// Unlink an SSH key by id; it no longer signs in
    Remove(Remove),
}

#[derive(clap::Args)]
struct Add {
    /// The public key file, such as ~/.ssh/id_ed25519.pub (`-` reads it from stdin).
    /// Ed25519, ECDSA, or RSA of at least 2048 bits
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// A name to recognise the key by [default: the key's comment]
    #[arg(long)]
    name: Option<String>,
}

#[derive(clap::Args)]
struct Remove {
    /// Key id, from `cloudmaster keys list`
    id: Uuid,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        match self.command {
            KeysCommand::Add(add) => {
                let public_key = read_public_key(&add.file)?;
                let request = AddSshKeyRequest {
                    public_key,
                    name: add.name,
                };
                let key = client.add_ssh_key(&request).await?;
                ctx.print(&key, |out| {
                    if ctx.quiet {
                        // Just the id, for `ID=$(cloudmaster keys add FILE --quiet)`.
                        return writeln!(out, "{}", key.id);
                    }
                    write_fields(
                        out,
                        &[
                            ("Key", format!("{} ({})", key.name, key.algorithm)),
                            ("Fingerprint", key.fingerprint.clone()),
                            ("Id", key.id.to_string()),
                        ],
                    )?;
                    writeln!(
                        out,
                        "Linked. Connect to the server's SSH address with this key to use the TUI."
                    )
                })
            }
            KeysCommand::List => {
                let keys = client.ssh_keys().await?;
                ctx.print(&keys, |out| {
                    let mut table =
                        ctx.table(&["ID", "NAME", "TYPE", "FINGERPRINT", "ADDED", "LAST USED"]);
                    for k in &keys {
                        table.add_row(vec![
                            k.id.to_string(),
                            k.name.clone(),
                            k.algorithm.clone(),
                            k.fingerprint.clone(),
                            date(&k.created_at),
                            maybe_date(k.last_used_at.as_ref()),
                        ]);
                    }
                    if keys.is_empty() {
                        writeln!(
                            out,
                            "No SSH keys. Link one with \
                             `cloudmaster keys add ~/.ssh/id_ed25519.pub`."
                        )
                    } else {
                        write_table(out, &table)
                    }
                })
            }
            KeysCommand::Remove(remove) => {
                client.remove_ssh_key(remove.id).await?;
                let id = remove.id;
                ctx.print(&serde_json::json!({ "id": id, "removed": true }), |out| {
                    writeln!(out, "Removed SSH key {id}; it no longer signs in.")
                })
            }
        }
    }
}

/// The contents of the public key file `path` (`-`: stdin). A private key is refused after
/// its first line, which says what it is: the rest is never read, let alone sent.
fn read_public_key(path: &Path) -> anyhow::Result<String> {
    let stdin = path == Path::new("-");
    let shown = if stdin {
        "stdin".to_owned()
    } else {
        format!("`{}`", path.display())
    };
    let source: Box<dyn Read> = if stdin {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(path) {
            Ok(file) => Box::new(file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(fail(
                    Exit::NotFound,
                    format!(
                        "no file {shown}: give the path of your public key, such as \
                         ~/.ssh/id_ed25519.pub (`ssh-keygen -t ed25519` makes one)"
                    ),
                ));
            }
            Err(e) => return Err(e).with_context(|| format!("cannot open {shown}")),
        }
    };
    // One byte past the limit tells a file that is too long from one that fits.
    let limit = u64::try_from(MAX_PUBLIC_KEY_BYTES + 1).unwrap_or(u64::MAX);
    let mut reader = BufReader::new(source.take(limit));
    let mut first = Vec::new();
    reader
        .read_until(b'\n', &mut first)
        .with_context(|| format!("cannot read {shown}"))?;
    let first_line = String::from_utf8_lossy(&first);
    if first_line.contains("PRIVATE KEY") || first_line.starts_with("PuTTY-User-Key-File") {
        return Err(private_key(path, stdin, &shown));
    }
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .with_context(|| format!("cannot read {shown}"))?;
    first.extend(rest);
    if first.len() > MAX_PUBLIC_KEY_BYTES {
        return Err(fail_with_hint(
            Exit::Failure,
            format!("{shown} is over {MAX_PUBLIC_KEY_BYTES} bytes: that is not a public key"),
            "give the .pub file of your key, such as ~/.ssh/id_ed25519.pub",
        ));
    }
    String::from_utf8(first).map_err(|_| {
        fail_with_hint(
            Exit::Failure,
            format!("{shown} is not text: that is not a public key"),
            "give the .pub file of your key, such as ~/.ssh/id_ed25519.pub",
        )
    })
}

/// The refusal of a private key, naming its `.pub` file when there is one beside it.
fn private_key(path: &Path, stdin: bool, shown: &str) -> anyhow::Error {
    let message = format!("{shown} is a private key, which never leaves your machine");
    if stdin {
        return fail_with_hint(Exit::Failure, message, "pipe the .pub file instead");
    }
    let mut public = path.as_os_str().to_owned();
    public.push(".pub");
    let public = PathBuf::from(public);
    if public.is_file() {
        return fail_with_hint(
            Exit::Failure,
            message,
            format!(
                "pass its public key instead: cloudmaster keys add {}",
                public.display()
            ),
        );
    }
    fail_with_hint(
        Exit::Failure,
        message,
        format!(
            "add its public key: `ssh-keygen -y -f {} > {}` writes it, then `cloudmaster keys \
             add {}`",
            path.display(),
            public.display(),
            public.display()
        ),
    )
}
