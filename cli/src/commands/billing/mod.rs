//! `cloudmaster billing ...`: plans, status, buying courses and premium, cancelling,
//! payments and receipts, and refunds (admins).

use clap::Subcommand;
use cloudmaster_core::api::{
    BillingStatus, Money, Payment, PaymentKind, RefundRequest, SubscriptionStatus, TEST_CARDS,
};
use uuid::Uuid;

use crate::context::Context;
use crate::output::{maybe_date, write_fields, write_table};

mod pay;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: BillingCommand,
}

#[derive(Subcommand)]
enum BillingCommand {
    /// List the premium plans (and the sandbox's test cards)
    Plans,
    /// Show your tier, subscription and purchased courses
    Status,
    /// Buy a course
    Checkout(pay::Checkout),
    /// Subscribe to a premium plan: every course opens while it lasts
    Subscribe(pay::Subscribe),
    /// Cancel your subscription at the end of the period paid for
    Cancel,
    /// List your payments
    Payments,
    /// Show a payment's receipt
    Receipt(Receipt),
    /// Refund a payment, wholly or in part (admins)
    Refund(Refund),
}

#[derive(clap::Args)]
struct Receipt {
    /// Payment id, from `cloudmaster billing payments`
    id: Uuid,
}

#[derive(clap::Args)]
struct Refund {
    /// Payment id
    id: Uuid,
    /// Amount in the payment's currency, such as 10.00 [default: all that is left]
    #[arg(long, value_name = "AMOUNT")]
    amount: Option<String>,
    /// Why, kept in the payment's history
    #[arg(long)]
    reason: Option<String>,
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        match self.command {
            BillingCommand::Plans => plans(ctx).await,
            BillingCommand::Status => status(ctx).await,
            BillingCommand::Checkout(checkout) => checkout.run(ctx).await,
            BillingCommand::Subscribe(subscribe) => subscribe.run(ctx).await,
            BillingCommand::Cancel => cancel(ctx).await,
            BillingCommand::Payments => payments(ctx).await,
            BillingCommand::Receipt(receipt) => {
                let payment = ctx.client()?.payment(receipt.id).await?;
                ctx.print(&payment, |out| write_receipt(out, &payment))
            }
            BillingCommand::Refund(refund) => refund.run(ctx).await,
        }
    }
}

async fn plans(ctx: &Context) -> anyhow::Result<()> {
    let client = ctx.client()?;
    let plans = client.billing_plans().await?;
    // The provider is part of the status, which needs an account; without one, say nothing.
    let sandbox = client
        .billing_status()
        .await
        .is_ok_and(|s| s.provider == "sandbox");
    ctx.print(&plans, |out| {
        let mut table = ctx.table(&["PLAN", "PRICE", "EVERY"]);
        for plan in &plans {
            table.add_row(vec![
                plan.id.clone(),
                plan.price.to_string(),
                plan.interval.as_str().to_owned(),
            ]);
        }
        write_table(out, &table)?;
        writeln!(out)?;
        writeln!(
            out,
            "Subscribe with `cloudmaster billing subscribe PLAN`; buy one course with \
             `cloudmaster billing checkout COURSE`."
        )?;
        if sandbox {
            writeln!(
                out,
                "This server's payments are a sandbox: pay with a test card, never a real one."
            )?;
            for card in TEST_CARDS {
                writeln!(out, "  {}  {}", card.number, card.outcome())?;
            }
        }
        Ok(())
    })
}

async fn status(ctx: &Context) -> anyhow::Result<()> {
    let status = ctx.client()?.billing_status().await?;
    ctx.print(&status, |out| write_status(out, &status))
}

fn write_status(out: &mut dyn std::io::Write, status: &BillingStatus) -> std::io::Result<()> {
    let mut fields = vec![("tier", status.tier.as_str().to_owned())];
    if let Some(until) = &status.premium_until {
        fields.push(("premium until", format!("{} UTC", maybe_date(Some(until)))));
    }
    if let Some(sub) = &status.subscription {
        let state = match (sub.status, sub.cancel_at) {
            (SubscriptionStatus::Active, Some(_)) => "active, cancelled: ends at the period's end",
            (SubscriptionStatus::Active, None) => "active, renews at the period's end",
            (SubscriptionStatus::PastDue, _) => "past due: the renewal failed and is retried",
            (SubscriptionStatus::Expired, _) => "expired",
        };
        fields.push(("subscription", format!("{} ({state})", sub.plan_id)));
    }
    let bought = if status.purchased_courses.is_empty() {
        "none".to_owned()
    } else {
        status.purchased_courses.join(", ")
    };
    fields.push(("courses bought", bought));
    fields.push(("payments", status.provider.clone()));
    write_fields(out, &fields)
}

async fn cancel(ctx: &Context) -> anyhow::Result<()> {
    let key = Uuid::new_v4().to_string();
    let sub = ctx.client()?.cancel_subscription(&key).await?;
    ctx.print(&sub, |out| {
        writeln!(
            out,
            "Cancelled {}: premium lasts until {} UTC, then stops. Your progress and \
             certificates stay.",
            sub.plan_id,
            maybe_date(Some(&sub.current_period_end))
        )
    })
}

/// What a payment bought, in a word or two.
fn item(payment: &Payment) -> String {
    match payment.kind {
        PaymentKind::Course => payment.course_id.clone().unwrap_or_default(),
        PaymentKind::Subscription => format!("{} (first period)", plan(payment)),
        PaymentKind::Renewal => format!("{} (renewal)", plan(payment)),
    }
}

fn plan(payment: &Payment) -> &str {
    payment.plan_id.as_deref().unwrap_or("premium")
}

fn money(amount: i64, payment: &Payment) -> String {
    Money {
        amount,
        currency: payment.currency.clone(),
    }
    .to_string()
}

async fn payments(ctx: &Context) -> anyhow::Result<()> {
    let payments = ctx.client()?.payments().await?;
    ctx.print(&payments, |out| {
        if payments.is_empty() {
            return writeln!(out, "No payments yet.");
        }
        let mut table = ctx.table(&["ID", "DATE", "FOR", "TOTAL", "STATE"]);
        for p in &payments {
            table.add_row(vec![
                p.id.to_string(),
                maybe_date(Some(&p.created_at)),
                item(p),
                money(p.total, p),
                p.state.as_str().to_owned(),
            ]);
        }
        write_table(out, &table)?;
        writeln!(out)?;
        writeln!(out, "A receipt: `cloudmaster billing receipt ID`.")
    })
}

/// The receipt: every number an accountant asks for, and the payment's history.
fn write_receipt(out: &mut dyn std::io::Write, p: &Payment) -> std::io::Result<()> {
    let mut fields = vec![
        ("receipt", p.id.to_string()),
        ("date", format!("{} UTC", maybe_date(Some(&p.created_at)))),
        ("for", item(p)),
        ("state", p.state.as_str().to_owned()),
        ("price", money(p.subtotal, p)),
        (
            "discount",
            match &p.coupon {
                Some(code) => format!("{} (coupon {code})", money(p.discount, p)),
                None => money(p.discount, p),
            },
        ),
        ("tax", money(p.tax, p)),
        ("total", money(p.total, p)),
    ];
    if p.refunded > 0 {
        fields.push(("refunded", money(p.refunded, p)));
    }
    if let Some(card) = &p.card {
        fields.push(("card", card.clone()));
    }
    fields.push((
        "provider",
        format!(
            "{} {}",
            p.provider,
            p.provider_ref.as_deref().unwrap_or("(no charge yet)")
        ),
    ));
    if let Some(failure) = &p.failure {
        fields.push(("failure", failure.clone()));
    }
    write_fields(out, &fields)?;
    writeln!(out)?;
    for event in &p.history {
        let moved = if event.amount == 0 {
            String::new()
        } else {
            format!("  {}", money(event.amount, p))
        };
        let note = event
            .note
            .as_deref()
            .map(|n| format!("  ({n})"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {}  {}{moved}{note}",
            maybe_date(Some(&event.at)),
            event.state.as_str()
        )?;
    }
    Ok(())
}

impl Refund {
    async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        let payment = client.payment(self.id).await?;
        let amount = self
            .amount
            .as_deref()
            .map(|text| Money::parse(text, &payment.currency))
            .transpose()
            .map_err(|e| crate::exit::fail(crate::exit::Exit::Usage, format!("--amount: {e}")))?;
        let shown = amount.as_ref().map_or_else(
            || money(payment.total - payment.refunded, &payment),
            ToString::to_string,
        );
        crate::prompt::confirm(
            ctx,
            &format!(
                "Refund {shown} of payment {} ({})?",
                payment.id,
                item(&payment)
            ),
        )?;
        let request = RefundRequest {
            amount: amount.map(|m| m.amount),
            reason: self.reason,
        };
        let key = Uuid::new_v4().to_string();
        let refunded = client.refund(self.id, &request, &key).await?;
        ctx.print(&refunded, |out| {
            writeln!(
                out,
                "Refunded {shown}: payment {} is {} ({} refunded in all).",
                refunded.id,
                refunded.state.as_str(),
                money(refunded.refunded, &refunded)
            )
        })
    }
}
