//! Every acknowledged write survives `kill -9` of the server: a real `cloudmaster-server`
//! process on a temporary SQLite database takes 1,000 lesson-progress writes, is killed with
//! SIGKILL, and a fresh process on the same database must return all of them.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use cloudmaster_core::Client;
use cloudmaster_core::api::{LessonProgressUpdate, LessonStatus};
use cloudmaster_core::course::load_course;
use cloudmaster_core::credentials::Credential;
use cloudmaster_e2e::ServerProcess;

const LESSONS: usize = 100;
const LEARNERS: usize = 10;

fn server_bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("cloudmaster-server")
}

/// A server on `data_dir`, listening once this returns.
fn start_server(tmp: &Path, data_dir: &Path, name: &str) -> ServerProcess {
    let mut server = Command::new(server_bin());
    server
        .arg("--data-dir")
        .arg(data_dir)
        .env("CLOUDMASTER_RATE_LIMIT_FREE", "0")
        .env("CLOUDMASTER_RATE_LIMIT_STAFF", "0")
        .env("CLOUDMASTER_RATE_LIMIT_ANONYMOUS", "0");
    ServerProcess::start(server, tmp, name)
}

/// A client of the server at `url`, signed in with `access_token`.
fn signed_in(url: &url::Url, access_token: &str) -> Client {
    let client = Client::new(url.clone(), None).unwrap();
    client.set_credential(Some(Credential::token(access_token.to_owned())));
    client
}

/// A course with many lessons, so 1,000 writes land on 1,000 distinct rows.
fn write_course(dir: &Path) {
    std::fs::create_dir_all(dir.join("lessons")).unwrap();
    let mut yaml = String::from(
        "format: 1\nid: durable\ntitle: Durability\nsummary: A course for the crash test.\n\
         level: beginner\nprovider: general\nestimated_hours: 1\nmodules:\n  - id: only\n    \
         title: Only module\n    lessons:\n",
    );
    for i in 0..LESSONS {
        yaml.push_str(&format!(
            "      - id: l{i}\n        title: Lesson {i}\n        file: lessons/l{i}.md\n        minutes: 1\n"
        ));
        std::fs::write(
            dir.join(format!("lessons/l{i}.md")),
            format!("# Lesson {i}\n\nText.\n"),
        )
        .unwrap();
    }
    std::fs::write(dir.join("course.yaml"), yaml).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_progress_survives_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("server");
    let mut server = start_server(tmp.path(), &data_dir, "first");
    let url: url::Url = server.url.parse().unwrap();
    let anonymous = Client::new(url.clone(), None).unwrap();

    let mut create = Command::new(server_bin())
        .arg("--data-dir")
        .arg(&data_dir)
        .args([
            "create-user",
            "--email",
            "author@crash.test",
            "--role",
            "instructor",
        ])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"author-password-1\n")
        .unwrap();
    assert!(create.wait().unwrap().success(), "create-user failed");

    let course_dir = tmp.path().join("durable");
    write_course(&course_dir);
    let (course, problems) = load_course(&course_dir).unwrap();
    assert!(problems.is_empty(), "test course is invalid: {problems:?}");
    let pair = Client::new(url.clone(), None)
        .unwrap()
        .login("author@crash.test", "author-password-1")
        .await
        .unwrap();
    let author = signed_in(&url, &pair.access_token);
    author.publish(&course, false, |_, _| {}).await.unwrap();

    // The learners' access tokens, to ask the restarted server (on another port) too.
    let mut tokens = Vec::new();
    for n in 0..LEARNERS {
        let email = format!("learner{n}@crash.test");
        anonymous
            .register(&email, "Learner", "learner-password-1")
            .await
            .unwrap();
        let pair = Client::new(url.clone(), None)
            .unwrap()
            .login(&email, "learner-password-1")
            .await
            .unwrap();
        tokens.push(pair.access_token);
    }
    let learners: Vec<Client> = tokens.iter().map(|t| signed_in(&url, t)).collect();
    for client in &learners {
        client.enroll("durable").await.unwrap();
    }

    // 1,000 acknowledged writes, 100 concurrent at a time.
    let mut acknowledged = 0;
    for lesson in 0..LESSONS {
        let writes = learners.iter().map(|client| {
            let update = LessonProgressUpdate {
                status: LessonStatus::Completed,
                position: None,
            };
            let lesson = format!("l{lesson}");
            async move {
                client
                    .record_lesson_progress("durable", &lesson, &update)
                    .await
            }
        });
        for result in futures_util::future::join_all(writes).await {
            result.expect("progress write acknowledged");
            acknowledged += 1;
        }
    }
    assert_eq!(acknowledged, LEARNERS * LESSONS);

    server.kill();

    let restarted = start_server(tmp.path(), &data_dir, "restarted");
    let url: url::Url = restarted.url.parse().unwrap();
    for token in &tokens {
        let progress = signed_in(&url, token)
            .course_progress("durable")
            .await
            .unwrap();
        assert_eq!(
            progress.completed_lessons as usize, LESSONS,
            "lost progress after kill -9"
        );
    }
}
