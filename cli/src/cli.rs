//! The command-line grammar: global options and the subcommand tree (PRODUCT.md §13).
//! Command names are part of the product — scripts depend on them — so add, never rename.

use std::io::IsTerminal;

use clap::{Args, Parser, Subcommand, ValueEnum};
use cloudmaster_core::config::{OutputFormat, parse_server_url};
use url::Url;

use crate::commands;

/// Printed after `--help`: environment variables and the exit code table (kept in step with
/// [`Exit`](crate::exit::Exit) and `docs/cli.md`, which a test compares).
pub const AFTER_HELP: &str = "\
Environment:
  CLOUDMASTER_TOKEN        a personal API token (or access token) used instead of stored credentials
  CLOUDMASTER_CREDENTIALS  credential store: auto (keyring, else file), keyring or file
  CLOUDMASTER_TIMEOUT      per-request timeout in seconds
  NO_COLOR                 disables colour, like --no-color
  XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME  where config, data and state live

Exit codes:
  0  success
  1  failure: validation problems, a failed check, any other error
  2  usage error: bad arguments; --password-stdin or --yes needed without a terminal
  3  authentication: not logged in, session expired or revoked (401), not allowed (403)
  4  network: the server could not be reached or timed out
  5  not found: no such course, lesson, token, version or path
  6  conflict: already exists, prerequisites missing, or a concurrent publish won
  130  interrupted: Ctrl-C stopped the command";

/// `cloudmaster tutor --help`.
const TUTOR_ABOUT: &str = concat!(
    "Ask the AI tutor about your courses and labs. It answers from the courses you are ",
    "enrolled in and cites the passages it used; in a lab workspace it also sees the ",
    "lab's current step and what your last failed check reported. Without a tutor ",
    "model on the server it answers retrieval only: the passages that match best.\n",
    "\n",
    "Examples:\n",
    "  cloudmaster tutor ask \"What does a NAT gateway do?\" --course aws-saa\n",
    "  cloudmaster tutor chat\n",
    "  cloudmaster tutor history\n",
    "  cloudmaster tutor budget",
);

/// `--version`. A client-only build says so, so a bug report shows which build ran.
#[cfg(feature = "server")]
const VERSION: &str = env!("CARGO_PKG_VERSION");
#[cfg(not(feature = "server"))]
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (client-only build)");

/// Terminal-first learning platform for cloud skills.
#[derive(Parser)]
#[command(name = "cloudmaster", version = VERSION, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted by every command.
#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Server URL [default: from the profile, else http://127.0.0.1:8080/]
    #[arg(long, global = true, env = "CLOUDMASTER_SERVER", value_name = "URL", value_parser = parse_server_url, hide_env_values = true)]
    pub server: Option<Url>,

    /// Configuration profile [default: default_profile in config.toml, else `default`]
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_PROFILE",
        value_name = "NAME",
        hide_env_values = true
    )]
    pub profile: Option<String>,

    /// Output format of commands that print data [default: from the profile, else table]
    #[arg(
        short = 'o',
        long,
        global = true,
        env = "CLOUDMASTER_OUTPUT",
        value_enum,
        hide_env_values = true
    )]
    pub output: Option<OutputArg>,

    /// Print only the data asked for: no progress bars, notices or hints
    #[arg(long, global = true, env = "CLOUDMASTER_QUIET", hide_env_values = true)]
    pub quiet: bool,

    /// Disable colour (also when NO_COLOR is set)
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_NO_COLOR",
        hide_env_values = true
    )]
    pub no_color: bool,

    /// Answer yes to confirmations (needed for them when stdin is not a terminal)
    #[arg(long, global = true, env = "CLOUDMASTER_YES", hide_env_values = true)]
    pub yes: bool,
}

impl GlobalArgs {
    fn color_allowed(&self) -> bool {
        !self.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    /// Whether to colour what goes to stdout.
    pub fn stdout_color(&self) -> bool {
        self.color_allowed() && std::io::stdout().is_terminal()
    }

    /// Whether to colour what goes to stderr.
    pub fn stderr_color(&self) -> bool {
        self.color_allowed() && std::io::stderr().is_terminal()
    }
}

/// `-o/--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    Table,
    Json,
    Yaml,
}

impl From<OutputArg> for OutputFormat {
    fn from(arg: OutputArg) -> OutputFormat {
        match arg {
            OutputArg::Table => OutputFormat::Table,
            OutputArg::Json => OutputFormat::Json,
            OutputArg::Yaml => OutputFormat::Yaml,
        }
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Start a local server with the bundled courses, log in as a demo learner, open the TUI
    #[cfg(feature = "server")]
    Quickstart(commands::quickstart::Args),
    /// Run the server (same as the cloudmaster-server binary)
    #[cfg(feature = "server")]
    Serve(Box<commands::serve::Args>),
    /// Not in this client-only build (says so and what to do instead)
    #[cfg(not(feature = "server"))]
    #[command(hide = true)]
    Quickstart(commands::client_only::Args),
    /// Not in this client-only build (says so and what to do instead)
    #[cfg(not(feature = "server"))]
    #[command(hide = true)]
    Serve(commands::client_only::Args),
    /// Create an account and log in
    Register(commands::register::Args),
    /// Log in and store the session
    Login(commands::login::Args),
    /// Revoke the session on the server and forget it here
    Logout(commands::logout::Args),
    /// Show who you are logged in as, and with which credential
    Whoami(commands::whoami::Args),
    /// Manage personal API tokens (for CI)
    Token(commands::token::Args),
    /// Link SSH public keys to your account, to use the TUI over SSH
    Keys(commands::keys::Args),
    /// Change your password, or reset a forgotten one with a mailed code
    Password(commands::password::Args),
    /// Download everything the server keeps about your account, or delete it
    Account(commands::account::Args),
    /// Browse the catalog
    Courses(commands::courses::Args),
    /// Enroll in a course
    Enroll(commands::enroll::Args),
    /// Leave a course
    Unenroll(commands::unenroll::Args),
    /// Show your progress in every enrolled course, or in one
    Progress(commands::progress::Args),
    /// Open the next lesson of a course (where you left off)
    Learn(commands::learn::Args),
    /// Read lessons and record progress
    Lesson(commands::lesson::Args),
    /// List and take module quizzes
    Quiz(commands::quiz::Args),
    /// Take a course's timed mock exam
    Exam(commands::exam::Args),
    /// List your quiz and exam attempts, or show one
    Attempts(commands::attempts::Args),
    /// Answer the spaced-review questions that are due
    Review(commands::review::Args),
    /// Ask the AI tutor about your courses and labs; see its conversations and budget
    #[command(long_about = TUTOR_ABOUT)]
    Tutor(commands::tutor::Args),
    /// Show your mastery per exam domain and skill
    Mastery(commands::mastery::Args),
    /// Predict your chance of passing the certification exam
    Readiness(commands::readiness::Args),
    /// List, show, verify and export certificates
    Cert(commands::cert::Args),
    /// Hands-on labs: start, check, hint, submit, reset, abandon, test
    Lab(commands::lab::Args),
    /// Author courses: scaffold, validate, list versions, roll back
    Course(commands::course::Args),
    /// Validate and publish a course or a catalog of courses
    Publish(commands::publish::Args),
    /// Open the terminal UI against the server you are logged in to
    Tui(commands::tui::Args),
    /// Buy courses and premium, see payments and receipts, cancel, refund
    Billing(commands::billing::Args),
    /// Administration: accounts, revenue and coupons
    Admin(commands::admin::Args),
    /// Show or change the configuration
    Config(commands::config::Args),
    /// Check configuration, server, credentials and lab tools
    Doctor(commands::doctor::Args),
    /// Print shell completions
    Completions(commands::completions::Args),
    /// Write completions/ and man/ (for maintainers)
    #[command(hide = true)]
    GenerateDocs(commands::generate_docs::Args),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_lists_the_exit_codes() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("6  conflict"), "{help}");
    }
}
