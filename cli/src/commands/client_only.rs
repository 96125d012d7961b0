//! `quickstart` and `serve` in a client-only build (`cargo install --path cli
//! --no-default-features`, without the `server` feature, so without sqlx and axum).
//!
//! Command names are part of the product, so the two stay in the grammar (hidden from
//! `--help`) and accept any arguments: `cloudmaster quickstart --no-tui` on a client-only
//! build then says what is missing and what to do instead of clap's "unrecognized
//! subcommand". They exit 1, like any other failure.

use std::ffi::OsString;

use crate::exit::{Exit, fail_with_hint};

/// A command of the full build.
#[derive(clap::Args)]
#[command(disable_help_flag = true)]
pub struct Args {
    /// Whatever followed the command; ignored.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<OsString>,
}

/// Which command of the full build was asked for.
#[derive(Debug, Clone, Copy)]
pub enum Missing {
    Quickstart,
    Serve,
}

impl Args {
    pub fn run(self, missing: Missing) -> anyhow::Result<()> {
        let (name, instead) = match missing {
            Missing::Quickstart => (
                "quickstart",
                "use a server that runs elsewhere: `cloudmaster config set server URL` (or \
                 --server URL), then `cloudmaster login`",
            ),
            Missing::Serve => (
                "serve",
                "run the `cloudmaster-server` binary (same flags and variables)",
            ),
        };
        Err(fail_with_hint(
            Exit::Failure,
            format!(
                "`cloudmaster {name}` is not in this build: this cloudmaster was built without \
                 the server (a client-only build)"
            ),
            format!(
                "{instead}; or install the full build, which has it: `cargo install --path cli \
                 --locked` (without --no-default-features)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};
    use crate::exit::{Exit, classify};

    use super::Missing;

    /// The full build's flags parse too, so the message is the same whatever was typed.
    fn run(args: &[&str], missing: Missing) -> anyhow::Error {
        let cli = Cli::try_parse_from(args).expect("parses");
        let result = match cli.command {
            Command::Quickstart(args) | Command::Serve(args) => args.run(missing),
            _ => panic!("not a command of the full build"),
        };
        result.expect_err("fails")
    }

    #[test]
    fn quickstart_says_the_build_is_client_only() {
        let err = run(
            &[
                "cloudmaster",
                "quickstart",
                "--no-tui",
                "--listen",
                "127.0.0.1:0",
            ],
            Missing::Quickstart,
        );
        assert_eq!(classify(&err), Exit::Failure);
        assert!(err.to_string().contains("client-only build"), "{err}");
        let hint = crate::exit::hint(&err, false).expect("a hint");
        assert!(hint.contains("cloudmaster config set server URL"), "{hint}");
    }

    #[test]
    fn serve_points_at_the_server_binary() {
        let err = run(&["cloudmaster", "serve", "--help"], Missing::Serve);
        let hint = crate::exit::hint(&err, false).expect("a hint");
        assert!(hint.contains("cloudmaster-server"), "{hint}");
    }
}
