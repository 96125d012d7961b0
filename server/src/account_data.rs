//! An account's data as a whole, for data protection requests (an administrator's, or the
//! account owner's own): a copy of everything kept about the account (export), and erasure. Erasure keeps what
//! the accounts must keep (payments, and the audit log, which names accounts only by id)
//! against an anonymous account row, and deletes the rest (see
//! [`crate::store::AccountStore::erase_user`]).

use cloudmaster_core::api::{AccountErased, AccountExport, UserAccount};
use uuid::Uuid;

use crate::auth::backoff;
use crate::certificates::StoredCertificate;
use crate::error::ApiError;
use crate::state::AppState;

/// Everything kept about `user_id`.
pub async fn export(state: &AppState, user_id: Uuid) -> Result<AccountExport, ApiError> {
    let store = state.store();
    let account = store
        .user_by_id(user_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user {user_id}")))?;
    // Courses left keep their progress and attempts, so they are exported too.
    let mut progress = Vec::new();
    let mut attempts = Vec::new();
    for course in store.courses_with_records(user_id).await? {
        progress.extend(store.course_progress(user_id, &course).await?);
        attempts.extend(crate::learning::attempts::summaries_of(state, user_id, &course).await?);
    }
    let mut tutor_conversations = Vec::new();
    for summary in store.tutor_conversations(user_id).await? {
        if let Some(conversation) = store.tutor_conversation(user_id, summary.id).await? {
            tutor_conversations.push(conversation);
        }
    }
    let certificates = store
        .user_certificates(user_id)
        .await?
        .iter()
        .map(StoredCertificate::info)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AccountExport {
        exported_at: state.now(),
        account: UserAccount {
            user: account.user,
            suspended: account.suspended,
        },
        api_tokens: store.list_api_tokens(user_id).await?,
        ssh_keys: store.ssh_keys(user_id).await?,
        enrollments: store.enrollments(user_id).await?,
        progress,
        attempts,
        certificates,
        payments: store.payments_of(user_id).await?,
        tutor_conversations,
    })
}

/// Erases `user_id`'s account (the caller decided who may). Its open sessions end at once:
/// the account row left behind is suspended.
pub async fn erase(state: &AppState, user_id: Uuid) -> Result<AccountErased, ApiError> {
    let placeholder = format!("deleted-{user_id}@deleted.invalid");
    let erased = state
        .store()
        .erase_user(user_id, &placeholder)
        .await
        .map_err(|e| crate::routes::admin::no_such_user(e, user_id))?;
    state
        .store()
        .clear_login_failures(&backoff::account_subject(user_id))
        .await?;
    state.auth_cache().forget_user(user_id);
    state.announce_suspension(user_id);
    Ok(erased)
}
