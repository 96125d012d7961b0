//! One module per subcommand, each with its clap `Args` and `run(self, &Context)`.
//!
//! `serve`, `completions` and `generate-docs` run without a [`Context`]: they use neither
//! the client configuration nor credentials, so a broken `config.toml` cannot stop them.
//!
//! `quickstart` and `serve` embed the server and exist only with the `server` feature (on
//! by default); a client-only build has [`client_only`] in their place.

use clap::ArgMatches;

use crate::cli::{Cli, Command};
use crate::context::{Context, Env};

pub mod account;
pub mod admin;
pub mod attempts;
pub mod billing;
pub mod cert;
#[cfg(not(feature = "server"))]
pub mod client_only;
pub mod completions;
pub mod config;
pub mod course;
pub mod courses;
pub mod doctor;
pub mod enroll;
pub mod exam;
pub mod generate_docs;
pub mod keys;
pub mod lab;
pub mod learn;
pub mod lesson;
pub mod login;
pub mod logout;
pub mod mastery;
pub mod password;
pub mod progress;
pub mod publish;
#[cfg(feature = "server")]
pub mod quickstart;
pub mod quiz;
pub mod readiness;
pub mod register;
pub mod review;
#[cfg(feature = "server")]
pub mod serve;
pub mod token;
pub mod tui;
pub mod tutor;
pub mod unenroll;
pub mod whoami;

/// Runs the parsed command line.
pub async fn run(cli: Cli, matches: &ArgMatches) -> anyhow::Result<()> {
    let lenient = matches!(cli.command, Command::Config(_) | Command::Doctor(_));
    let context = |global| Context::new(global, matches, Env::from_process(), lenient);
    match cli.command {
        #[cfg(feature = "server")]
        Command::Serve(args) => args.run().await,
        #[cfg(not(feature = "server"))]
        Command::Serve(args) => args.run(client_only::Missing::Serve),
        Command::Completions(args) => args.run(),
        Command::GenerateDocs(args) => args.run(),
        #[cfg(feature = "server")]
        Command::Quickstart(args) => args.run(&context(&cli.global)?).await,
        #[cfg(not(feature = "server"))]
        Command::Quickstart(args) => args.run(client_only::Missing::Quickstart),
        Command::Register(args) => args.run(&context(&cli.global)?).await,
        Command::Login(args) => args.run(&context(&cli.global)?).await,
        Command::Logout(args) => args.run(&context(&cli.global)?).await,
        Command::Whoami(args) => args.run(&context(&cli.global)?).await,
        Command::Token(args) => args.run(&context(&cli.global)?).await,
        Command::Keys(args) => args.run(&context(&cli.global)?).await,
        Command::Password(args) => args.run(&context(&cli.global)?).await,
        Command::Account(args) => args.run(&context(&cli.global)?).await,
        Command::Courses(args) => args.run(&context(&cli.global)?).await,
        Command::Enroll(args) => args.run(&context(&cli.global)?).await,
        Command::Unenroll(args) => args.run(&context(&cli.global)?).await,
        Command::Progress(args) => args.run(&context(&cli.global)?).await,
        Command::Lesson(args) => args.run(&context(&cli.global)?).await,
        Command::Learn(args) => args.run(&context(&cli.global)?).await,
        Command::Quiz(args) => args.run(&context(&cli.global)?).await,
        Command::Exam(args) => args.run(&context(&cli.global)?).await,
        Command::Attempts(args) => args.run(&context(&cli.global)?).await,
        Command::Review(args) => args.run(&context(&cli.global)?).await,
        Command::Tutor(args) => args.run(&context(&cli.global)?).await,
        Command::Mastery(args) => args.run(&context(&cli.global)?).await,
        Command::Readiness(args) => args.run(&context(&cli.global)?).await,
        Command::Cert(args) => args.run(&context(&cli.global)?).await,
        Command::Lab(args) => args.run(&context(&cli.global)?).await,
        Command::Course(args) => args.run(&context(&cli.global)?).await,
        Command::Publish(args) => args.run(&context(&cli.global)?).await,
        Command::Config(args) => args.run(&context(&cli.global)?),
        Command::Doctor(args) => args.run(&context(&cli.global)?).await,
        Command::Tui(args) => args.run(&context(&cli.global)?).await,
        Command::Billing(args) => args.run(&context(&cli.global)?).await,
        Command::Admin(args) => args.run(&context(&cli.global)?).await,
    }
}

/// Splits `COURSE/ITEM` (a lesson, quiz or lab reference).
pub fn split_ref(reference: &str, what: &str) -> anyhow::Result<(String, String)> {
    match reference.split_once('/') {
        Some((course, item)) if !course.is_empty() && !item.is_empty() && !item.contains('/') => {
            Ok((course.to_owned(), item.to_owned()))
        }
        _ => Err(crate::exit::fail(
            crate::exit::Exit::Usage,
            format!("`{reference}` is not COURSE/{what}, such as aws-saa/iam-policies"),
        )),
    }
}
