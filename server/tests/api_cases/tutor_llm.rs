//! The tutor against a real OpenAI-compatible server: llama.cpp's, from PyPI (`xllamacpp`),
//! with SmolLM2-135M, which `scripts/test` starts (`scripts/llm-server`) and names in
//! `CLOUDMASTER_TEST_LLM_URL`. Without it these tests print that they skipped, except on CI,
//! where they fail. The model is tiny: what is checked is the protocol — streaming, usage,
//! cancellation — not what it says.

use cloudmaster_core::api::{FinishReason, TutorEvent, TutorMode};
use cloudmaster_server::config::ServerConfig;
use cloudmaster_server::tutor::config::ProviderKind;
use serde_json::json;

use crate::api_support::{ManualClock, TestApp, TestDatabase};
use crate::learning_support::{COURSE, learning_course};
use crate::tutor_support::{ask, ask_and_hang_up, saved_conversation};

backend_tests!(
    a_real_model_streams_an_answer_and_its_usage_counts,
    cancelling_a_real_answer_keeps_what_arrived_and_the_server_answers_on,
    a_provider_that_never_answers_times_out
);

const LLM_URL_VAR: &str = "CLOUDMASTER_TEST_LLM_URL";

/// The LLM server's base URL; `None` (the test skips) when it is not set, a failure on CI.
fn llm_url() -> Option<String> {
    if let Some(url) = std::env::var(LLM_URL_VAR).ok().filter(|u| !u.is_empty()) {
        return Some(url);
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
        panic!(
            "CI is set but {LLM_URL_VAR} is not: the tests against a real model cannot run \
             (run them through scripts/test, which starts one with scripts/llm-server)"
        );
    }
    eprintln!("skipped: {LLM_URL_VAR} not set (scripts/test starts an LLM server)");
    None
}

fn real_model(url: String) -> impl FnOnce(&mut ServerConfig) {
    move |config| {
        config.tutor.tutor_provider = ProviderKind::Openai;
        config.tutor.tutor_base_url = Some(url.parse().unwrap());
        config.tutor.tutor_model = Some("smollm2".into());
        config.tutor.tutor_max_answer_tokens = 24;
        // The first token waits for the prompt to be read: a second or two on a busy
        // machine with one thread.
        config.tutor.tutor_timeout_secs = 60;
    }
}

async fn app(db: &TestDatabase, tweak: impl FnOnce(&mut ServerConfig)) -> TestApp {
    TestApp::builder(db)
        .clock(ManualClock::new())
        .publish(learning_course())
        .config(tweak)
        .spawn()
        .await
}

async fn a_real_model_streams_an_answer_and_its_usage_counts(db: &TestDatabase) {
    let Some(url) = llm_url() else { return };
    let app = app(db, real_model(url)).await;
    let learner = app.enrolled("lena@example.com").await;
    let answer = ask(
        &app,
        &learner,
        json!({"question": "Where do lessons go in a course?", "course": COURSE}),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.error);
    assert!(matches!(
        answer.start(),
        TutorEvent::Start {
            mode: TutorMode::Model { .. },
            ..
        }
    ));
    let deltas = answer
        .events
        .iter()
        .filter(|e| matches!(e, TutorEvent::Delta { .. }))
        .count();
    assert!(
        deltas >= 2,
        "the answer came in one piece: {:?}",
        answer.events
    );
    let TutorEvent::Done { usage, finish, .. } = answer.last() else {
        panic!("{:?}", answer.last())
    };
    // The provider's own figures: the prompt is hundreds of tokens, the answer at most 24.
    assert!(!usage.estimated);
    assert!(usage.prompt_tokens > 100, "{usage:?}");
    assert!((1..=24).contains(&usage.completion_tokens), "{usage:?}");
    assert!(matches!(finish, FinishReason::Stop | FinishReason::Length));
    let budget = app
        .get("/api/v1/tutor/budget", learner.t())
        .await
        .expect(200);
    assert_eq!(budget.body["used_tokens"].as_u64().unwrap(), usage.total());
}

async fn cancelling_a_real_answer_keeps_what_arrived_and_the_server_answers_on(db: &TestDatabase) {
    let Some(url) = llm_url() else { return };
    let app = app(db, real_model(url)).await;
    let learner = app.enrolled("lena@example.com").await;
    ask_and_hang_up(
        &app,
        &learner,
        json!({"question": "Explain quizzes in detail.", "course": COURSE}),
    )
    .await;
    // The cancelled turn is saved with what arrived, its tokens counted.
    let whole = saved_conversation(&app, &learner).await;
    assert!(!whole["messages"][1]["text"].as_str().unwrap().is_empty());
    let budget = app
        .get("/api/v1/tutor/budget", learner.t())
        .await
        .expect(200);
    assert!(budget.body["used_tokens"].as_u64().unwrap() > 0);
    // The model server freed the slot: the next question is answered in full.
    let next = ask(
        &app,
        &learner,
        json!({"question": "What is a quiz?", "course": COURSE}),
    )
    .await;
    assert!(
        matches!(next.last(), TutorEvent::Done { .. }),
        "{:?}",
        next.events
    );
}

async fn a_provider_that_never_answers_times_out(db: &TestDatabase) {
    // A provider that accepts the connection and then says nothing at all.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let app = app(db, |config| {
        real_model(format!("http://{addr}/v1"))(config);
        config.tutor.tutor_timeout_secs = 1;
    })
    .await;
    let learner = app.enrolled("lena@example.com").await;
    let answer = ask(&app, &learner, json!({"question": "What is a quiz?"})).await;
    let TutorEvent::Error { code, message } = answer.last() else {
        panic!("{:?}", answer.events)
    };
    assert_eq!(code, "provider_timeout");
    assert!(message.contains("did not answer within 1 s"), "{message}");
}
