//! Paying from a terminal: `billing checkout COURSE` and `billing subscribe PLAN`.
//!
//! With a hosted payment page (Stripe) the command prints its address and a QR code (a
//! learner on a Raspberry Pi over SSH pays on a phone), opens a browser where there is a
//! display, and waits until the provider confirms. With the sandbox it asks for a test card
//! (`--card` for scripts). Either way it waits with a spinner until the payment settles,
//! Ctrl-C stops waiting (the payment stays pending), and running the command again picks
//! the pending payment up instead of making a second one.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use cloudmaster_core::api::{
    CheckoutRequest, Payment, PaymentKind, PaymentState, SubscribeRequest,
};
use indicatif::{ProgressBar, ProgressStyle};
use uuid::Uuid;

use crate::context::Context;
use crate::exit::{Exit, fail};

#[derive(clap::Args)]
pub struct Checkout {
    /// Course id, as in `cloudmaster courses list`
    course: String,
    /// A coupon code
    #[arg(long, value_name = "CODE")]
    coupon: Option<String>,
    #[command(flatten)]
    pay: PayOptions,
}

#[derive(clap::Args)]
pub struct Subscribe {
    /// Plan id, as in `cloudmaster billing plans`
    plan: String,
    /// A coupon code (for the first period)
    #[arg(long, value_name = "CODE")]
    coupon: Option<String>,
    #[command(flatten)]
    pay: PayOptions,
}

#[derive(clap::Args)]
struct PayOptions {
    /// Sandbox servers: the test card to pay with (`cloudmaster billing plans` lists them);
    /// asked for when left out
    #[arg(long, value_name = "NUMBER")]
    card: Option<String>,
    /// Do not open a browser on the provider's payment page
    #[arg(long)]
    no_browser: bool,
    /// Seconds to wait for the payment to settle before giving up (it stays pending)
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    wait: u64,
}

impl Checkout {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let request = CheckoutRequest {
            course: self.course,
            coupon: self.coupon,
            card: self.pay.card.clone(),
        };
        let key = Uuid::new_v4().to_string();
        let payment = ctx.client()?.checkout(&request, &key).await?;
        self.pay.complete(ctx, payment).await
    }
}

impl Subscribe {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let request = SubscribeRequest {
            plan: self.plan,
            coupon: self.coupon,
            card: self.pay.card.clone(),
        };
        let key = Uuid::new_v4().to_string();
        let payment = ctx.client()?.subscribe(&request, &key).await?;
        self.pay.complete(ctx, payment).await
    }
}

impl PayOptions {
    /// Takes a pending payment to its outcome: pays it (a card, or the hosted page) and
    /// waits for the provider's confirmation.
    async fn complete(&self, ctx: &Context, payment: Payment) -> anyhow::Result<()> {
        if payment.state == PaymentState::Pending {
            match &payment.checkout_url {
                Some(url) => self.show_payment_page(ctx, url)?,
                None if self.card.is_none() && payment.card.is_none() => {
                    let card = ask_for_card(&payment)?;
                    let key = Uuid::new_v4().to_string();
                    ctx.client()?.pay_with_card(payment.id, &card, &key).await?;
                }
                None => {}
            }
        }
        let settled = self.wait_for(ctx, payment).await?;
        outcome(ctx, &settled)
    }

    fn show_payment_page(&self, ctx: &Context, url: &str) -> anyhow::Result<()> {
        let mut err = std::io::stderr().lock();
        writeln!(err, "Pay on the provider's page:\n\n  {url}\n")?;
        if std::io::stderr().is_terminal() && !ctx.quiet {
            if let Ok(code) = qrcode::QrCode::new(url.as_bytes()) {
                let picture = code
                    .render::<qrcode::render::unicode::Dense1x2>()
                    .quiet_zone(true)
                    .build();
                writeln!(err, "or scan it with a phone:\n\n{picture}\n")?;
            }
            if !self.no_browser && open_browser(url) {
                writeln!(err, "(opened in your browser)")?;
            }
        }
        Ok(())
    }

    /// Polls the payment until it settles, with a spinner; Ctrl-C or `--wait` stop waiting.
    async fn wait_for(&self, ctx: &Context, payment: Payment) -> anyhow::Result<Payment> {
        if payment.state != PaymentState::Pending {
            return Ok(payment);
        }
        let spinner = if ctx.quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            )
        };
        spinner.set_message("Waiting for the payment to be confirmed (Ctrl-C stops waiting)");
        spinner.enable_steady_tick(Duration::from_millis(120));
        let client = ctx.client()?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(self.wait);
        let mut every = Duration::from_millis(100);
        let stopped = |why: &str| {
            fail(
                Exit::Failure,
                format!(
                    "{why}; payment {} stays pending: run the same command again to pick it \
                     up, or see `cloudmaster billing receipt {}`",
                    payment.id, payment.id
                ),
            )
        };
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = tokio::signal::ctrl_c() => {
                    spinner.finish_and_clear();
                    return Err(stopped("stopped waiting"));
                }
            }
            let now = client.payment(payment.id).await?;
            if now.state != PaymentState::Pending {
                spinner.finish_and_clear();
                return Ok(now);
            }
            if tokio::time::Instant::now() >= deadline {
                spinner.finish_and_clear();
                return Err(stopped("the payment was not confirmed in time"));
            }
            every = (every * 2).min(Duration::from_secs(2));
        }
    }
}

/// Asks for a sandbox test card at the terminal.
fn ask_for_card(payment: &Payment) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        return Err(fail(
            Exit::Usage,
            format!(
                "payment {} waits for a card and stdin is not a terminal: pass --card NUMBER \
                 (the sandbox's test cards are listed by `cloudmaster billing plans`)",
                payment.id
            ),
        ));
    }
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "This server's payments are a sandbox: use a test card, never a real one."
    )?;
    for card in cloudmaster_core::api::TEST_CARDS {
        writeln!(err, "  {}  {}", card.number, card.outcome())?;
    }
    write!(err, "Card number for {}: ", payment.total_money())?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let card = line.trim().to_owned();
    if card.is_empty() {
        return Err(fail(Exit::Usage, "no card number given"));
    }
    Ok(card)
}

/// Opens `url` in a browser when there is a display to show it on.
fn open_browser(url: &str) -> bool {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        "xdg-open"
    } else {
        return false;
    };
    std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// Says how it ended: what the payment bought, or why it failed.
fn outcome(ctx: &Context, payment: &Payment) -> anyhow::Result<()> {
    let total = payment.total_money();
    if payment.state == PaymentState::Failed {
        if !ctx.human() {
            ctx.print(payment, |_| Ok(()))?;
        }
        return Err(fail(
            Exit::Failure,
            format!(
                "the payment of {total} failed: {}. Nothing was charged; try again with \
                 another card",
                payment.failure.as_deref().unwrap_or("refused")
            ),
        ));
    }
    ctx.print(payment, |out| match (payment.kind, &payment.course_id) {
        (PaymentKind::Course, Some(course)) => writeln!(
            out,
            "Paid {total} for {course}. You are enrolled: `cloudmaster learn {course}`."
        ),
        _ => writeln!(
            out,
            "Paid {total}: premium is on and every course is open \
             (`cloudmaster billing status` shows until when)."
        ),
    })
}
