//! `cloudmaster-server`: serves the API, bootstraps an account with `create-user`, or
//! rotates and lists the signing keys with `keys`.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use cloudmaster_core::api::Role;
use cloudmaster_server::keys::{self, KeyDir, KeyInfo, KeyKind};
use cloudmaster_server::{ApiError, AppState, ServerConfig};

/// cloudmaster's server. Every flag can also be set by its CLOUDMASTER_* variable.
#[derive(Parser)]
#[command(name = "cloudmaster-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: ServerConfig,
}

#[derive(Subcommand)]
enum Command {
    /// Create an account, for example the first admin. Reads the password from stdin.
    ///
    /// Exits with 3 when an account with the email already exists, so provisioning scripts
    /// can treat that as done.
    CreateUser(CreateUser),
    /// Manage the signing keys in the key directory (--key-dir).
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make new current signing keys; the old ones are kept to verify what they signed.
    ///
    /// Without --jwt or --certificates, rotates both. Retired token keys are deleted once
    /// the tokens they signed have expired (20 minutes); certificate keys are kept forever
    /// and stay in the issuer document. Running servers on the key directory pick the new
    /// keys up within a minute, without a restart.
    Rotate(Rotate),
    /// List the signing keys: id, kind, creation time and status (no secrets).
    List,
}

#[derive(Args)]
struct Rotate {
    /// Rotate the access-token key.
    #[arg(long)]
    jwt: bool,
    /// Rotate the certificate key.
    #[arg(long)]
    certificates: bool,
}

#[derive(Args)]
struct CreateUser {
    #[arg(long)]
    email: String,
    /// Display name [default: the part of the email before @]
    #[arg(long)]
    name: Option<String>,
    /// admin, instructor or learner.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// Read the password from the first line of stdin (required: passwords are never flags).
    #[arg(long, required = true)]
    password_stdin: bool,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

/// Exit code for "the email is already registered".
const EXIT_EXISTS: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cloudmaster_server::init_tracing(cli.config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&anyhow::Error::new(err).context("cannot start the runtime")),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None => cloudmaster_server::run(cli.config)
                .await
                .map(|()| ExitCode::SUCCESS)
                .map_err(anyhow::Error::from),
            Some(Command::CreateUser(args)) => create_user(&cli.config, args).await,
            Some(Command::Keys(command)) => manage_keys(&cli.config, &command),
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => fail(&err),
    }
}

async fn create_user(config: &ServerConfig, args: CreateUser) -> anyhow::Result<ExitCode> {
    debug_assert!(args.password_stdin);
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| anyhow::Error::new(e).context("cannot read the password from stdin"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    let name = args
        .name
        .unwrap_or_else(|| args.email.split('@').next().unwrap_or_default().to_owned());
    let state = AppState::open(config).await?;
    match state
        .create_user(&args.email, &name, password, args.role)
        .await
    {
        Ok(user) => {
            println!(
                "created {} {} ({})",
                user.role.as_str(),
                user.email,
                user.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ApiError::Conflict(message)) => {
            eprintln!("error: {message}");
            Ok(ExitCode::from(EXIT_EXISTS))
        }
        Err(err) => Err(anyhow::Error::new(err).context("cannot create the account")),
    }
}

fn manage_keys(config: &ServerConfig, command: &KeysCommand) -> anyhow::Result<ExitCode> {
    let dir = KeyDir::new(config.key_dir());
    let now = time::OffsetDateTime::now_utc();
    match command {
        KeysCommand::Rotate(args) => {
            let kinds = match (args.jwt, args.certificates) {
                (true, false) => vec![KeyKind::Jwt],
                (false, true) => vec![KeyKind::Certificate],
                _ => vec![KeyKind::Jwt, KeyKind::Certificate],
            };
            for key in keys::rotate(&dir, &kinds, now)? {
                println!(
                    "new current {} key {} in {}",
                    key.kind.as_str(),
                    key.kid,
                    dir.path().display()
                );
            }
        }
        KeysCommand::List => {
            let listed = keys::list(&dir)?;
            if listed.is_empty() {
                println!(
                    "no keys in {} yet: the server makes them when it starts",
                    dir.path().display()
                );
            }
            for key in listed {
                println!("{}", describe(&key));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of `keys list`.
fn describe(key: &KeyInfo) -> String {
    let when = |t: time::OffsetDateTime| {
        let t = t.replace_nanosecond(0).unwrap_or(t);
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| t.to_string())
    };
    let status = match (key.kind, key.retired_at) {
        (_, None) => "current".to_owned(),
        (KeyKind::Jwt, Some(at)) => format!(
            "retired {}, deleted after {}",
            when(at),
            when(at + keys::JWT_RETENTION)
        ),
        (KeyKind::Certificate, Some(at)) => format!("retired {}, kept", when(at)),
    };
    format!(
        "{:<12} {:<16}  created {}  {status}",
        key.kind.as_str(),
        key.kid,
        when(key.created_at)
    )
}

fn fail(err: &anyhow::Error) -> ExitCode {
    eprintln!("error: {err:#}");
    ExitCode::FAILURE
}
