//! Helpers of the lab API tests: a server on a clock the test moves with the bundled
//! `cloud-foundations` course published and a learner enrolled, the lab requests, workspaces
//! built from the lab's own starter and solution files, and hand-made hostile archives.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use cloudmaster_core::api::{HintView, LabSession, LabSessionStart, LabSubmission, SelfReported};
use cloudmaster_core::course::{Course, Lab, load_course};
use cloudmaster_core::lab::{
    ArchiveLimits, IfNotEmpty, apply_solution, materialize_starter, pack_workspace,
};
use cloudmaster_server::ServerConfig;
use serde_json::json;
use uuid::Uuid;

use crate::api_support::{ManualClock, Reply, TestApp, TestDatabase};

pub const COURSE: &str = "cloud-foundations";

/// The bundled course, loaded once.
pub static BUNDLED: LazyLock<Course> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../courses/cloud-foundations");
    let (course, diagnostics) = load_course(&dir).expect("load the bundled course");
    assert!(
        !cloudmaster_core::course::has_errors(&diagnostics),
        "{diagnostics:?}"
    );
    course
});

pub fn lab(id: &str) -> &'static Lab {
    BUNDLED
        .labs
        .iter()
        .find(|l| l.id == id)
        .expect("bundled lab")
}

/// A server on `db` with `tweak` applied to its configuration, on a clock the test moves,
/// with the bundled course published and [`TestApp::learner`] enrolled in it.
pub async fn lab_app(db: &TestDatabase, tweak: impl FnOnce(&mut ServerConfig)) -> TestApp {
    let app = TestApp::builder(db)
        .config(tweak)
        .clock(ManualClock::new())
        .publish(BUNDLED.clone())
        .learner("learner@example.com")
        .spawn()
        .await;
    // Modules open in order: finish the lessons before the last module with a lab, so
    // that every lab of the course can be started (and the course is not complete).
    let last_lab_module = BUNDLED
        .modules
        .iter()
        .rposition(|m| !m.labs.is_empty())
        .unwrap_or(0);
    for module in &BUNDLED.modules[..last_lab_module] {
        for lesson in &module.lessons {
            let path = format!("/api/v1/courses/{COURSE}/lessons/{}/progress", lesson.id);
            app.put(&path, app.learner().t(), &json!({"status": "completed"}))
                .await
                .expect(200);
        }
    }
    app
}

/// The lab requests, as [`TestApp::learner`].
impl TestApp {
    pub async fn start_lab(&self, lab: &str) -> LabSessionStart {
        let reply = self
            .post(
                &format!("/api/v1/courses/{COURSE}/labs/{lab}/sessions"),
                self.learner().t(),
                &json!({}),
            )
            .await
            .expect(201);
        serde_json::from_value(reply.body).expect("LabSessionStart")
    }

    /// The next hint, from the hint endpoint at `path`.
    pub async fn next_hint(&self, path: &str) -> HintView {
        let reply = self.post(path, self.learner().t(), &json!({})).await;
        serde_json::from_value(reply.expect(200).body).expect("HintView")
    }

    pub async fn lab_session(&self, id: Uuid) -> LabSession {
        let reply = self
            .get(&format!("/api/v1/lab-sessions/{id}"), self.learner().t())
            .await;
        serde_json::from_value(reply.expect(200).body).expect("LabSession")
    }

    /// Submits `archive` with the self-reported results `reported` (`None`: no header).
    pub async fn submit_lab(
        &self,
        id: Uuid,
        archive: Vec<u8>,
        reported: Option<&[SelfReported]>,
    ) -> Reply {
        let mut request = self
            .http
            .post(self.url(&format!("/api/v1/lab-sessions/{id}/submit")))
            .bearer_auth(&self.learner().token)
            .header("content-type", "application/gzip")
            .body(archive);
        if let Some(reported) = reported {
            request = request.header(
                "x-cloudmaster-self-reported",
                serde_json::to_string(reported).unwrap(),
            );
        }
        self.send(request).await
    }

    /// Where the server unpacks lab submissions.
    pub fn scratch_root(&self) -> PathBuf {
        self.state.config().lab_scratch_dir()
    }
}

/// The `.tar.gz` of a workspace: the lab's starter files with the solutions of the first
/// `solved` steps applied.
pub fn workspace(lab: &Lab, solved: usize) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    materialize_starter(lab, dir.path(), IfNotEmpty::Refuse).unwrap();
    for step in &lab.steps[..solved] {
        apply_solution(lab, &step.id, dir.path()).unwrap();
    }
    pack_workspace(dir.path(), &ArchiveLimits::default(), |_| {})
        .unwrap()
        .bytes
}

pub fn reported(step: &str, condition: &str, passed: bool) -> SelfReported {
    SelfReported {
        step: step.into(),
        condition: condition.into(),
        passed,
    }
}

pub fn submission(reply: Reply) -> LabSubmission {
    serde_json::from_value(reply.expect(200).body).expect("LabSubmission")
}

pub fn message_of<'a>(
    submitted: &'a LabSubmission,
    step: &str,
    condition: &str,
) -> Option<&'a str> {
    submitted
        .steps
        .iter()
        .find(|s| s.id == step)?
        .verified
        .iter()
        .find(|c| c.id == condition)?
        .message()
}

pub fn condition_message<'a>(lab: &'a Lab, step: usize, condition: &str) -> &'a str {
    &lab.steps[step]
        .conditions
        .iter()
        .find(|c| c.id == condition)
        .unwrap()
        .message
}

/// A `.tar.gz` of raw entries `(name, kind, link target, content)`, names written as given
/// (the tar crate itself refuses to write `..` or absolute names).
pub fn raw_archive(entries: &[(&str, tar::EntryType, &str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    for (name, kind, target, content) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(*kind);
        header.set_mode(0o644);
        header.set_size(content.len() as u64);
        if !target.is_empty() {
            header.set_link_name(target).unwrap();
        }
        header.set_cksum();
        builder.append(&header, *content).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// A `.tar.gz` of one small file named `name`, however long (GNU long-name records).
pub fn long_named_archive(name: &str) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o644);
    header.set_size(2);
    builder.append_data(&mut header, name, &b"hi"[..]).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

/// Every path under `dir`.
pub fn all_paths(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            out.push(entry.path());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(all_paths(&entry.path()));
            }
        }
    }
    out
}
