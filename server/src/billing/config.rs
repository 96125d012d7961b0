//! What the server is told about billing: the provider, the premium plans, grace periods,
//! and where Stripe's secrets come from (the environment or a file, never a flag).

use std::path::PathBuf;
use std::time::Duration;

use cloudmaster_core::api::{Interval, Money, Plan};
use secrecy::SecretString;
use url::Url;

/// The environment variable holding the Stripe API key (else `--stripe-api-key-file`).
pub const STRIPE_API_KEY_ENV: &str = "CLOUDMASTER_STRIPE_API_KEY";
/// The environment variable holding the Stripe webhook signing secret, or several separated
/// by commas while one replaces another (else `--stripe-webhook-secret-file`).
pub const STRIPE_WEBHOOK_SECRET_ENV: &str = "CLOUDMASTER_STRIPE_WEBHOOK_SECRET";

/// Which payment provider charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderKind {
    /// Built in: test cards, no money (the default, so a new server can sell at once).
    Sandbox,
    /// Stripe: Checkout Sessions, refunds, signed webhooks.
    Stripe,
}

#[derive(Clone, clap::Args)]
pub struct BillingConfig {
    /// Payment provider.
    #[arg(long, global = true, env = "CLOUDMASTER_BILLING_PROVIDER", value_enum, default_value_t = ProviderKind::Sandbox)]
    pub billing_provider: ProviderKind,

    /// Premium plans, comma-separated, each `ID=AMOUNT+CURRENCY/INTERVAL` with the amount
    /// in major units and the interval `month` or `year`, as in `premium-monthly=12.00USD/month`
    /// [default: premium-monthly=12.00USD/month,premium-yearly=99.00USD/year]
    #[arg(long, global = true, env = "CLOUDMASTER_BILLING_PLANS", value_delimiter = ',',
        value_parser = parse_plan, value_name = "PLAN")]
    pub billing_plans: Vec<Plan>,

    /// Days premium lasts after a renewal fails, while the renewal is retried.
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_BILLING_GRACE_DAYS",
        default_value_t = 7
    )]
    pub billing_grace_days: u32,

    /// Hours between retries of a failed renewal (providers that do not retry by themselves).
    #[arg(long, global = true, env = "CLOUDMASTER_BILLING_RETRY_HOURS", default_value_t = 24,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub billing_retry_hours: u32,

    /// Minutes a sandbox checkout waits for its card before it is abandoned: the payment
    /// fails and its coupon redemption is given back (Stripe expires its own checkouts).
    #[arg(long, global = true, env = "CLOUDMASTER_BILLING_CHECKOUT_MINUTES", default_value_t = 60,
        value_parser = clap::value_parser!(u32).range(1..))]
    pub billing_checkout_minutes: u32,

    /// Tax added to every payment, in basis points of the price after discounts (2000 is
    /// 20 %); 0 collects none and receipts show a tax of 0.
    #[arg(long, global = true, env = "CLOUDMASTER_BILLING_TAX_BASIS_POINTS", default_value_t = 0,
        value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub billing_tax_basis_points: u32,

    /// The URL learners reach this server at, where a hosted checkout sends them back
    /// [default: http://<listen address>]
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_PUBLIC_URL",
        value_name = "URL"
    )]
    pub public_url: Option<Url>,

    /// Stripe's API address (a local server in tests).
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_STRIPE_API_BASE",
        default_value = "https://api.stripe.com/"
    )]
    pub stripe_api_base: Url,

    /// File holding the Stripe API key (else CLOUDMASTER_STRIPE_API_KEY).
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_STRIPE_API_KEY_FILE",
        value_name = "FILE"
    )]
    pub stripe_api_key_file: Option<PathBuf>,

    /// File holding the Stripe webhook signing secret, one per line while one replaces
    /// another (else CLOUDMASTER_STRIPE_WEBHOOK_SECRET).
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_STRIPE_WEBHOOK_SECRET_FILE",
        value_name = "FILE"
    )]
    pub stripe_webhook_secret_file: Option<PathBuf>,

    /// Seconds a webhook signature's timestamp may be from now.
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_STRIPE_WEBHOOK_TOLERANCE_SECS",
        default_value_t = 300
    )]
    pub stripe_webhook_tolerance_secs: u64,
}

impl Default for BillingConfig {
    fn default() -> Self {
        BillingConfig {
            billing_provider: ProviderKind::Sandbox,
            billing_plans: Vec::new(),
            billing_grace_days: 7,
            billing_retry_hours: 24,
            billing_checkout_minutes: 60,
            billing_tax_basis_points: 0,
            public_url: None,
            stripe_api_base: Url::parse("https://api.stripe.com/")
                .unwrap_or_else(|_| unreachable!()),
            stripe_api_key_file: None,
            stripe_webhook_secret_file: None,
            stripe_webhook_tolerance_secs: 300,
        }
    }
}

impl std::fmt::Debug for BillingConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secrets are not fields: they are read from the environment or files when the
        // provider starts, and never printed.
        f.debug_struct("BillingConfig")
            .field("billing_provider", &self.billing_provider)
            .field("billing_plans", &self.plans())
            .field("billing_grace_days", &self.billing_grace_days)
            .field("billing_retry_hours", &self.billing_retry_hours)
            .field("billing_checkout_minutes", &self.billing_checkout_minutes)
            .field("billing_tax_basis_points", &self.billing_tax_basis_points)
            .field("public_url", &self.public_url)
            .field("stripe_api_base", &self.stripe_api_base.as_str())
            .field("stripe_api_key_file", &self.stripe_api_key_file)
            .field(
                "stripe_webhook_secret_file",
                &self.stripe_webhook_secret_file,
            )
            .field(
                "stripe_webhook_tolerance_secs",
                &self.stripe_webhook_tolerance_secs,
            )
            .finish()
    }
}

/// Why the billing configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BillingConfigError(pub String);

impl BillingConfig {
    /// The plans in force: the configured ones, else the two default premium plans.
    pub fn plans(&self) -> Vec<Plan> {
        if !self.billing_plans.is_empty() {
            return self.billing_plans.clone();
        }
        [
            "premium-monthly=12.00USD/month",
            "premium-yearly=99.00USD/year",
        ]
        .into_iter()
        .filter_map(|spec| parse_plan(spec).ok())
        .collect()
    }

    pub fn grace(&self) -> time::Duration {
        time::Duration::days(i64::from(self.billing_grace_days))
    }

    pub fn retry_every(&self) -> time::Duration {
        time::Duration::hours(i64::from(self.billing_retry_hours))
    }

    pub fn checkout_wait(&self) -> time::Duration {
        time::Duration::minutes(i64::from(self.billing_checkout_minutes))
    }

    pub fn webhook_tolerance(&self) -> Duration {
        Duration::from_secs(self.stripe_webhook_tolerance_secs)
    }

    /// The Stripe API key: the file's first line, else the environment variable.
    pub fn stripe_api_key(&self) -> Result<SecretString, BillingConfigError> {
        let text = secret_text(
            self.stripe_api_key_file.as_ref(),
            STRIPE_API_KEY_ENV,
            "--stripe-api-key-file",
        )?;
        let key = text.lines().next().unwrap_or("").trim().to_owned();
        if key.is_empty() {
            return Err(BillingConfigError(format!(
                "the Stripe API key is empty: put it in {STRIPE_API_KEY_ENV} or in the file \
                 given to --stripe-api-key-file"
            )));
        }
        Ok(SecretString::from(key))
    }

    /// The Stripe webhook secrets: the file's lines, else the environment variable's
    /// comma-separated values.
    pub fn stripe_webhook_secrets(&self) -> Result<Vec<SecretString>, BillingConfigError> {
        let text = secret_text(
            self.stripe_webhook_secret_file.as_ref(),
            STRIPE_WEBHOOK_SECRET_ENV,
            "--stripe-webhook-secret-file",
        )?;
        let secrets: Vec<SecretString> = text
            .split(['\n', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| SecretString::from(s.to_owned()))
            .collect();
        if secrets.is_empty() {
            return Err(BillingConfigError(format!(
                "no Stripe webhook secret: put it in {STRIPE_WEBHOOK_SECRET_ENV} or in the file \
                 given to --stripe-webhook-secret-file"
            )));
        }
        Ok(secrets)
    }
}

fn secret_text(
    file: Option<&PathBuf>,
    env: &str,
    flag: &str,
) -> Result<String, BillingConfigError> {
    if let Some(path) = file {
        return std::fs::read_to_string(path).map_err(|e| {
            BillingConfigError(format!("cannot read {flag} {}: {e}", path.display()))
        });
    }
    std::env::var(env).map_err(|_| {
        BillingConfigError(format!(
            "--billing-provider stripe needs its secret in {env} or in a file given to {flag}"
        ))
    })
}

/// `premium-monthly=12.00USD/month`.
pub fn parse_plan(spec: &str) -> Result<Plan, String> {
    let bad = |why: &str| {
        format!(
            "`{spec}` is not a plan ({why}): write ID=AMOUNT+CURRENCY/INTERVAL, such as premium-monthly=12.00USD/month"
        )
    };
    let (id, rest) = spec.trim().split_once('=').ok_or_else(|| bad("no `=`"))?;
    let (price, interval) = rest.split_once('/').ok_or_else(|| bad("no `/`"))?;
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(bad("the id takes lower-case letters, digits and dashes"));
    }
    let split = price
        .len()
        .checked_sub(3)
        .filter(|&i| price.is_char_boundary(i))
        .ok_or_else(|| bad("no currency"))?;
    let (amount, currency) = price.split_at(split);
    let price = Money::parse(amount, currency).map_err(|e| bad(&e.to_string()))?;
    if price.amount <= 0 {
        return Err(bad("the price must be above zero"));
    }
    let interval: Interval = interval.parse().map_err(|e: String| bad(&e))?;
    Ok(Plan {
        id: id.to_owned(),
        price,
        interval,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_parse_from_their_spec() {
        let plan = parse_plan("pro-yearly=120.50EUR/year").unwrap();
        assert_eq!(plan.price, Money::new(12050, "EUR").unwrap());
        assert_eq!(plan.interval, Interval::Year);
        for bad in [
            "x",
            "a=12USD",
            "A=12.00USD/month",
            "a=12.00/month",
            "a=0USD/month",
            "a=1USD/week",
        ] {
            assert!(parse_plan(bad).is_err(), "{bad}");
        }
        let defaults = BillingConfig::default().plans();
        assert_eq!(defaults.len(), 2);
        assert_eq!(defaults[0].price.amount, 1200);
    }
}
