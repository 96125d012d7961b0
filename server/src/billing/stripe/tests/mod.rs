//! The Stripe provider against a local server that plays Stripe's API ([`api`]), and its
//! decoding of signed webhook deliveries ([`webhooks`]). Nothing here reaches the internet.

mod api;
mod webhooks;

use super::*;

pub(super) const API_KEY: &str = "sk_test_51NcloudmasterSecretKey0123456789";
pub(super) const WEBHOOK_SECRET: &str = "whsec_cloudmaster_test_0123456789";

pub(super) fn config(api_base: Url, api_key: &str) -> StripeConfig {
    StripeConfig {
        api_base,
        api_key: SecretString::from(api_key),
        webhook_secrets: vec![SecretString::from(WEBHOOK_SECRET)],
        tolerance: DEFAULT_TOLERANCE,
    }
}

pub(super) fn provider(api_base: &Url) -> StripeProvider {
    StripeProvider::new(config(api_base.clone(), API_KEY)).unwrap()
}

/// A provider for webhook tests, which make no API call.
pub(super) fn offline_provider() -> StripeProvider {
    provider(&Url::parse(DEFAULT_API_BASE).unwrap())
}

#[test]
fn debug_shows_neither_the_key_nor_the_secrets() {
    let provider = offline_provider();
    let printed = format!("{provider:?}");
    assert!(!printed.contains(API_KEY), "{printed}");
    assert!(!printed.contains(WEBHOOK_SECRET), "{printed}");
    assert!(printed.contains("api.stripe.com"), "{printed}");
    let printed = format!(
        "{:?}",
        config(Url::parse(DEFAULT_API_BASE).unwrap(), API_KEY)
    );
    assert!(!printed.contains(API_KEY), "{printed}");
    assert!(!printed.contains(WEBHOOK_SECRET), "{printed}");
}

#[test]
fn configurations_that_cannot_work_are_refused() {
    let stripe = Url::parse(DEFAULT_API_BASE).unwrap();
    let refused = |config: StripeConfig| {
        let error = StripeProvider::new(config).unwrap_err();
        assert!(matches!(error, ProviderError::Unavailable(_)), "{error:?}");
        assert!(!error.to_string().contains(API_KEY), "{error}");
    };
    refused(config(
        Url::parse("ftp://api.stripe.com/").unwrap(),
        API_KEY,
    ));
    refused(config(
        Url::parse("mailto:billing@example.com").unwrap(),
        API_KEY,
    ));
    refused(config(stripe.clone(), ""));
    refused(config(stripe.clone(), "sk_test_line\nbreak"));
    refused(StripeConfig {
        webhook_secrets: Vec::new(),
        ..config(stripe, API_KEY)
    });
}
