//! `cloudmaster admin ...`: accounts, revenue and coupons (admins).

mod users;

use clap::Subcommand;
use cloudmaster_core::api::{Money, NewCoupon};
use time::OffsetDateTime;

use crate::context::Context;
use crate::exit::{Exit, fail};
use crate::output::{maybe_date, write_table};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// List accounts, change a role, suspend an account or lift its suspension
    Users(users::Users),
    /// Revenue per day, course or plan, and currency, refunds netted
    Revenue(Revenue),
    /// Create, list and disable coupons
    Coupons(Coupons),
}

#[derive(clap::Args)]
struct Revenue {
    /// The last day, YYYY-MM-DD (UTC) [default: today]
    #[arg(long, value_name = "DAY")]
    to: Option<String>,
    /// How many days up to --to, 1 to 366 [default: 30]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=366))]
    days: Option<u32>,
}

#[derive(clap::Args)]
struct Coupons {
    #[command(subcommand)]
    command: CouponCommand,
}

#[derive(Subcommand)]
enum CouponCommand {
    /// Create a coupon
    Create(CreateCoupon),
    /// List every coupon
    List,
    /// Disable a coupon: no new checkout can use it
    Disable {
        /// The coupon's code
        code: String,
    },
}

#[derive(clap::Args)]
struct CreateCoupon {
    /// The code learners type, such as LAUNCH25 (letters, digits, `-`, `_`)
    code: String,
    /// Per cent off, 1 to 100
    #[arg(
        long,
        value_name = "PERCENT",
        conflicts_with = "amount_off",
        required_unless_present = "amount_off"
    )]
    percent_off: Option<u32>,
    /// An amount off, such as 10.00 (with --currency)
    #[arg(long, value_name = "AMOUNT", requires = "currency")]
    amount_off: Option<String>,
    /// The currency of --amount-off, such as USD
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    /// Only for this course [default: every course and plan]
    #[arg(long, value_name = "COURSE")]
    course: Option<String>,
    /// When it stops working: an RFC 3339 time, such as 2027-01-31T23:59:59Z
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    expires: Option<OffsetDateTime>,
    /// How many checkouts may use it [default: no limit]
    #[arg(long, value_name = "N")]
    max_redemptions: Option<u32>,
}

fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| format!("`{s}` is not an RFC 3339 time such as 2027-01-31T23:59:59Z"))
}

impl Args {
    pub async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let client = ctx.client()?;
        match self.command {
            AdminCommand::Users(users) => users.run(ctx, client).await,
            AdminCommand::Revenue(range) => {
                let rows = client.revenue(range.to.as_deref(), range.days).await?;
                ctx.print(&rows, |out| {
                    if rows.is_empty() {
                        return writeln!(out, "No payments or refunds in that range.");
                    }
                    let mut table =
                        ctx.table(&["DAY", "ITEM", "PAYMENTS", "GROSS", "REFUNDS", "NET"]);
                    for row in &rows {
                        let money = |amount| {
                            Money {
                                amount,
                                currency: row.currency.clone(),
                            }
                            .to_string()
                        };
                        table.add_row(vec![
                            row.day.clone(),
                            row.item.clone(),
                            row.payments.to_string(),
                            money(row.gross),
                            money(row.refunds),
                            money(row.net),
                        ]);
                    }
                    write_table(out, &table)
                })
            }
            AdminCommand::Coupons(coupons) => match coupons.command {
                CouponCommand::Create(create) => {
                    let amount_off = match (&create.amount_off, &create.currency) {
                        (Some(amount), Some(currency)) => Some(
                            Money::parse(amount, currency)
                                .map_err(|e| fail(Exit::Usage, format!("--amount-off: {e}")))?,
                        ),
                        _ => None,
                    };
                    let coupon = client
                        .create_coupon(&NewCoupon {
                            code: create.code,
                            percent_off: create.percent_off,
                            amount_off,
                            course_id: create.course,
                            expires_at: create.expires,
                            max_redemptions: create.max_redemptions,
                        })
                        .await?;
                    ctx.print(&coupon, |out| {
                        writeln!(out, "Created coupon {}.", coupon.code)
                    })
                }
                CouponCommand::List => {
                    let coupons = client.coupons().await?;
                    ctx.print(&coupons, |out| {
                        if coupons.is_empty() {
                            return writeln!(out, "No coupons.");
                        }
                        let mut table =
                            ctx.table(&["CODE", "OFF", "COURSE", "USED", "EXPIRES", "DISABLED"]);
                        for c in &coupons {
                            let off = match (&c.percent_off, &c.amount_off) {
                                (Some(p), _) => format!("{p}%"),
                                (None, Some(m)) => m.to_string(),
                                (None, None) => String::new(),
                            };
                            let used = match c.max_redemptions {
                                Some(max) => format!("{}/{max}", c.redeemed),
                                None => c.redeemed.to_string(),
                            };
                            table.add_row(vec![
                                c.code.clone(),
                                off,
                                c.course_id.clone().unwrap_or_else(|| "any".to_owned()),
                                used,
                                maybe_date(c.expires_at.as_ref()),
                                maybe_date(c.disabled_at.as_ref()),
                            ]);
                        }
                        write_table(out, &table)
                    })
                }
                CouponCommand::Disable { code } => {
                    client.disable_coupon(&code).await?;
                    ctx.print(
                        &serde_json::json!({ "code": code, "disabled": true }),
                        |out| writeln!(out, "Disabled coupon {code}."),
                    )
                }
            },
        }
    }
}
