//! Helpers of the lab API tests: a server on an injected clock with the bundled
//! `cloud-foundations` course published and a learner enrolled, workspaces built from the
//! lab's own starter and solution files, and hand-made hostile archives.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use cloudmaster_core::api::{
    LabSession, LabSessionStart, LabSubmission, Role, SelfReported, TokenPair,
};
use cloudmaster_core::course::{Course, Lab, load_course};
use cloudmaster_core::lab::{
    ArchiveLimits, IfNotEmpty, apply_solution, materialize_starter, pack_workspace,
};
use cloudmaster_server::{AppState, Clock, ServerConfig};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::api_support::{Backend, PASSWORD, Reply, TestDb, config};

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

/// A clock the test moves by hand.
pub struct TestClock(Mutex<OffsetDateTime>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

/// A server on an injected clock with its own data directory, the bundled course
/// published, and a learner enrolled in it.
pub struct LabServer {
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    pub clock: Arc<TestClock>,
    pub data: tempfile::TempDir,
    pub learner: String,
    pub learner_id: Uuid,
    _db: TestDb,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl LabServer {
    pub async fn spawn(backend: Backend, tweak: impl FnOnce(&mut ServerConfig)) -> LabServer {
        let db = TestDb::of(backend).await.expect("backend available");
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = config(&db);
        config.data_dir = data.path().to_owned();
        tweak(&mut config);
        let store = cloudmaster_server::store::open(&config.database_url(), config.pool_size)
            .await
            .expect("open store");
        let clock = Arc::new(TestClock(Mutex::new(OffsetDateTime::now_utc())));
        let state = AppState::with_store(&config, store, clock.clone())
            .await
            .expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            let _ = cloudmaster_server::serve(listener, serving, async {
                let _ = stopped.await;
            })
            .await;
        });
        let mut server = LabServer {
            base,
            state,
            http: reqwest::Client::new(),
            clock,
            data,
            learner: String::new(),
            learner_id: Uuid::nil(),
            _db: db,
            _stop: stop,
        };
        let author = server.login("author@example.com", Role::Instructor).await;
        server
            .send(
                server
                    .http
                    .post(server.url(&format!("/api/v1/courses/{COURSE}/versions")))
                    .bearer_auth(&author.access_token)
                    .json(&*BUNDLED),
            )
            .await
            .expect(200);
        let learner = server.login("learner@example.com", Role::Learner).await;
        server.learner = learner.access_token;
        server.learner_id = learner.user.id;
        server
            .post(&format!("/api/v1/courses/{COURSE}/enrollment"), &json!({}))
            .await
            .expect(201);
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
                server
                    .send(
                        server
                            .http
                            .put(server.url(&path))
                            .bearer_auth(&server.learner)
                            .json(&json!({"status": "completed"})),
                    )
                    .await
                    .expect(200);
            }
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login(&self, email: &str, role: Role) -> TokenPair {
        self.state
            .create_user(email, email, PASSWORD, role)
            .await
            .expect("create user");
        let reply = self
            .send(
                self.http
                    .post(self.url("/api/v1/auth/login"))
                    .json(&json!({"email": email, "password": PASSWORD})),
            )
            .await
            .expect(200);
        serde_json::from_value(reply.body).expect("token pair")
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path)).bearer_auth(&self.learner))
            .await
    }

    pub async fn post(&self, path: &str, body: &serde_json::Value) -> Reply {
        self.send(
            self.http
                .post(self.url(path))
                .bearer_auth(&self.learner)
                .json(body),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.http.delete(self.url(path)).bearer_auth(&self.learner))
            .await
    }

    pub async fn start(&self, lab: &str) -> LabSessionStart {
        let reply = self
            .post(
                &format!("/api/v1/courses/{COURSE}/labs/{lab}/sessions"),
                &json!({}),
            )
            .await
            .expect(201);
        serde_json::from_value(reply.body).expect("LabSessionStart")
    }

    pub async fn session(&self, id: Uuid) -> LabSession {
        let reply = self.get(&format!("/api/v1/lab-sessions/{id}")).await;
        serde_json::from_value(reply.expect(200).body).expect("LabSession")
    }

    /// Submits `archive` with the self-reported results `reported` (`None`: no header).
    pub async fn submit(
        &self,
        id: Uuid,
        archive: Vec<u8>,
        reported: Option<&[SelfReported]>,
    ) -> Reply {
        let mut request = self
            .http
            .post(self.url(&format!("/api/v1/lab-sessions/{id}/submit")))
            .bearer_auth(&self.learner)
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

    pub fn scratch_root(&self) -> PathBuf {
        self.data.path().join("lab-submissions")
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
