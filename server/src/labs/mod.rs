//! Lab sessions on the server (PRODUCT.md §5): a learner starts a session of a lab (with a
//! time limit and an idle timeout), reports local check runs, asks for hints and
//! solutions, and submits the workspace, which the server grades itself.
//!
//! How the pieces fit:
//! - [`actions`]: listing labs, start/resume, reads, check reports, hints, solutions,
//!   abandon. [`submit`](submit::submit) grades a submission in a [`scratch`] folder.
//! - [`session`] holds the rules every operation shares: only the owner sees a session;
//!   an active session past its limits is ended on first touch, exactly as the expiry job
//!   would end it; changes run under the store's per-session lock
//!   ([`LabStore::update_lab_session`](crate::store::LabStore::update_lab_session)).
//! - [`records`]: the session as the store keeps it, and the rule that ends an overdue one.
//! - [`view`] builds the wire types and keeps solutions out of what the learner gets.
//! - [`expire_sessions`] is the background job.
//!
//! A session keeps the course version it began on, so a publish in the middle never
//! changes its checks.

pub mod actions;
pub mod records;
pub mod scratch;
pub mod session;
pub mod submit;
pub mod view;

use time::OffsetDateTime;

use crate::server_error::{Context as _, ServerError};
use crate::state::AppState;

/// Sessions ended per batch of the expiry job.
const EXPIRY_BATCH: u32 = 500;

/// Ends active sessions past their time limit or idle timeout at `now` (`failed` when they
/// had submissions, else `expired`), then removes scratch folders that ended sessions left
/// behind. Each session is ended under its row lock, after checking again that it is still
/// active and overdue, so replicas running this at once never both end one session; the
/// count is of sessions this call ended.
pub async fn expire_sessions(state: &AppState, now: OffsetDateTime) -> Result<u32, ServerError> {
    let idle = state.config().lab_idle_timeout();
    let store = state.store();
    let mut ended = 0;
    loop {
        let due = store
            .overdue_lab_sessions(now, idle, EXPIRY_BATCH)
            .await
            .context("finding overdue lab sessions")?;
        let mut ended_now = 0;
        for id in &due {
            let mut ended_it = false;
            store
                .update_lab_session(*id, &mut |session| {
                    ended_it = session.end_if_overdue(now, idle);
                    ended_it
                })
                .await
                .with_context(|| format!("ending the overdue lab session {id}"))?;
            if ended_it {
                ended_now += 1;
            }
        }
        ended += ended_now;
        // A short batch was the last; a batch where another replica ended everything
        // first means the rest is theirs to do too.
        if due.len() < EXPIRY_BATCH as usize || ended_now == 0 {
            break;
        }
    }
    remove_leftover_scratch(state).await?;
    Ok(ended)
}

/// Removes the scratch folders of sessions that have ended (left by a crash mid-grading).
async fn remove_leftover_scratch(state: &AppState) -> Result<(), ServerError> {
    let roots = scratch::roots(state.config());
    let found = tokio::task::spawn_blocking(move || scratch::leftovers(&roots))
        .await
        .context("looking for leftover lab scratch folders")?;
    for (session, path) in found {
        let ended = state
            .store()
            .lab_session(session)
            .await
            .context("reading a lab session")?
            .is_some_and(|s| s.status != cloudmaster_core::api::LabSessionStatus::Active);
        if ended {
            tokio::task::spawn_blocking(move || scratch::remove(&path))
                .await
                .context("removing a lab scratch folder")?;
        }
    }
    Ok(())
}
