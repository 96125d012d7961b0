//! What the server is told about sending mail.

use url::Url;

#[derive(Clone, clap::Args)]
pub struct MailConfig {
    /// The SMTP relay that sends the server's mail (reset codes): `smtp://host:25` (no TLS,
    /// for a relay on this machine), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465`. Without it the server sends no mail. Give credentials
    /// in the environment rather than as a flag: flags show in `ps`.
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,

    /// The sender of the server's mail.
    #[arg(
        long,
        global = true,
        env = "CLOUDMASTER_MAIL_FROM",
        value_name = "ADDRESS",
        default_value = "cloudmaster <cloudmaster@localhost>"
    )]
    pub mail_from: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: None,
            mail_from: "cloudmaster <cloudmaster@localhost>".to_owned(),
        }
    }
}

/// `Debug` shows the SMTP URL without its password.
impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(crate::config::redact_url),
            )
            .field("mail_from", &self.mail_from)
            .finish()
    }
}

/// Refuses an SMTP URL that would send a password in the clear to another machine.
pub(super) fn check_smtp_url(url: &str) -> Result<(), String> {
    let parsed = Url::parse(url).map_err(|e| {
        format!(
            "--smtp-url `{}` is not a URL: {e}",
            crate::config::redact_url(url)
        )
    })?;
    let tls = parsed.scheme() == "smtps"
        || parsed
            .query_pairs()
            .any(|(k, v)| k == "tls" && (v == "required" || v == "opportunistic"));
    let local = match parsed.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if parsed.password().is_some() && !tls && !local {
        return Err(format!(
            "--smtp-url `{}` would send the SMTP password unencrypted; add `?tls=required` \
             (STARTTLS, port 587) or use `smtps://` (port 465)",
            crate::config::redact_url(url)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_smtp_url;

    #[test]
    fn a_password_travels_only_encrypted_or_on_this_machine() {
        assert!(check_smtp_url("smtp://127.0.0.1:2525").is_ok());
        assert!(check_smtp_url("smtp://user:pw@localhost:25").is_ok());
        assert!(check_smtp_url("smtp://user:pw@mail.example.com:587?tls=required").is_ok());
        assert!(check_smtp_url("smtps://user:pw@mail.example.com").is_ok());
        let refused = check_smtp_url("smtp://user:pw@mail.example.com:587").unwrap_err();
        assert!(refused.contains("tls=required"), "{refused}");
        assert!(
            !refused.contains("pw"),
            "the password is not echoed: {refused}"
        );
    }
}
