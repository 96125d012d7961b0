//! `cloudmaster-server`: serves the API, or bootstraps an account with `create-user`.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use cloudmaster_core::api::Role;
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
                .map(|()| ExitCode::SUCCESS),
            Some(Command::CreateUser(args)) => create_user(&cli.config, args).await,
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

fn fail(err: &anyhow::Error) -> ExitCode {
    eprintln!("error: {err:#}");
    ExitCode::FAILURE
}
