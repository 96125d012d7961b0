//! Mail the server sends (reset codes), through an outbox: a message is queued in the
//! transaction of what caused it and sent afterwards by [`deliver_due`], at once and again by
//! the background jobs, with retries. Without `--smtp-url` the server sends no mail, and what
//! needs mail says so instead of pretending.

mod config;

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use time::OffsetDateTime;
use uuid::Uuid;

pub use self::config::MailConfig;
use crate::state::AppState;
use crate::store::StoreResult;

/// A message to queue.
#[derive(Clone)]
pub struct NewMail {
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// `Debug` leaves the body out: it may hold a secret such as a reset code.
impl std::fmt::Debug for NewMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMail")
            .field("id", &self.id)
            .field("recipient", &self.recipient)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl NewMail {
    pub fn new(recipient: &str, subject: &str, body: String, now: OffsetDateTime) -> NewMail {
        NewMail {
            id: Uuid::new_v4(),
            recipient: recipient.to_owned(),
            subject: subject.to_owned(),
            body,
            created_at: now,
        }
    }
}

/// A message claimed for sending.
pub struct QueuedMail {
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    pub created_at: OffsetDateTime,
}

/// How long a claimed message is held for its sender before it is due again: longer than a
/// whole batch takes when every conversation runs into [`SMTP_TIMEOUT`], so no other sender
/// takes a message its claimer is still working through.
const LEASE: time::Duration = time::Duration::minutes(10);
/// Messages claimed at a time.
const BATCH: u32 = 20;
/// Attempts before a message is given up on (the last about four hours after the first).
const MAX_ATTEMPTS: u32 = 8;
/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// The wait before attempt `attempts + 1`: a minute, doubling, at most an hour.
fn retry_delay(attempts: u32) -> time::Duration {
    time::Duration::minutes(1_i64 << attempts.saturating_sub(1).min(6))
}

/// The SMTP relay and the sender's address, if the server sends mail.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl Mailer {
    pub fn from_config(config: &MailConfig) -> Result<Mailer, String> {
        let from: Mailbox = config.mail_from.parse().map_err(|e| {
            format!(
                "--mail-from `{}` is not a mail address ({e}); write `Name <user@example.com>` \
                 or `user@example.com`",
                config.mail_from
            )
        })?;
        let transport = match &config.smtp_url {
            None => None,
            Some(url) => {
                config::check_smtp_url(url)?;
                let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("--smtp-url `{}`: {e}", crate::config::redact_url(url)))?;
                Some(builder.timeout(Some(SMTP_TIMEOUT)).build())
            }
        };
        Ok(Mailer { transport, from })
    }

    /// Whether the server sends mail at all.
    pub fn sends(&self) -> bool {
        self.transport.is_some()
    }

    /// One attempt to send `mail`. The error says whether trying again could help.
    async fn send(&self, mail: &QueuedMail) -> Result<(), SendError> {
        let Some(transport) = &self.transport else {
            return Err(SendError::Permanent("the server sends no mail".to_owned()));
        };
        let to: Mailbox = mail.recipient.parse().map_err(|e| {
            SendError::Permanent(format!("`{}` is not a mail address: {e}", mail.recipient))
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        transport.send(message).await.map(drop).map_err(|e| {
            let text = crate::error::error_chain(&e);
            if e.is_permanent() {
                SendError::Permanent(text)
            } else {
                SendError::Transient(text)
            }
        })
    }
}

enum SendError {
    /// The relay refused the message for good (5xx), or it cannot be built.
    Permanent(String),
    /// Anything else: the relay was unreachable, busy, or timed out.
    Transient(String),
}

/// Sends what is due at `now`, batch after batch; returns how many messages went out.
pub async fn deliver_due(state: &AppState, now: OffsetDateTime) -> StoreResult<u32> {
    let mailer = state.mailer();
    if !mailer.sends() {
        return Ok(0);
    }
    let store = state.store();
    let mut sent = 0;
    loop {
        let batch = store.claim_due_mail(now, now + LEASE, BATCH).await?;
        let claimed = batch.len();
        for mail in batch {
            match mailer.send(&mail).await {
                Ok(()) => {
                    store.mail_sent(mail.id, state.now()).await?;
                    tracing::info!(mail_id = %mail.id, subject = %mail.subject, "mail sent");
                    sent += 1;
                }
                Err(err) => {
                    let (error, retry_at) = match err {
                        SendError::Transient(e) if mail.attempts < MAX_ATTEMPTS => {
                            (e, Some(state.now() + retry_delay(mail.attempts)))
                        }
                        SendError::Transient(e) | SendError::Permanent(e) => (e, None),
                    };
                    tracing::warn!(
                        mail_id = %mail.id,
                        attempts = mail.attempts,
                        retry_at = ?retry_at,
                        error = %error,
                        "mail not sent"
                    );
                    store
                        .mail_failed(mail.id, &error, retry_at, state.now())
                        .await?;
                }
            }
        }
        if claimed < BATCH as usize {
            return Ok(sent);
        }
    }
}

/// Sends what is due now, in the background: called after queuing a message so it leaves
/// within seconds rather than at the next run of the jobs.
pub fn send_soon(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let now = state.now();
        if let Err(err) = deliver_due(&state, now).await {
            tracing::warn!(
                error = crate::error::error_chain(&err),
                "sending mail failed"
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_sender_or_relay_is_refused_at_start() {
        let config = |from: &str, url: Option<&str>| MailConfig {
            mail_from: from.to_owned(),
            smtp_url: url.map(str::to_owned),
        };
        let no_mail = Mailer::from_config(&config("cloudmaster <a@example.com>", None)).unwrap();
        assert!(!no_mail.sends());
        let relay = Mailer::from_config(&config("a@example.com", Some("smtp://127.0.0.1:25")));
        assert!(relay.unwrap().sends());
        let Err(bad_from) = Mailer::from_config(&config("not an address", None)) else {
            panic!("accepted a sender that is no address");
        };
        assert!(bad_from.contains("--mail-from"), "{bad_from}");
        let Err(bad_url) = Mailer::from_config(&config("a@example.com", Some("imap://host")))
        else {
            panic!("accepted a relay that is not SMTP");
        };
        assert!(bad_url.contains("--smtp-url"), "{bad_url}");
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let waits: Vec<i64> = (1..=MAX_ATTEMPTS)
            .map(|attempt| retry_delay(attempt).whole_minutes())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 64]);
    }
}
