//! Helpers of the tutor API tests: local servers that play a model provider (OpenAI's chat
//! completions stream or Anthropic's Messages stream) as the test scripts it, recording
//! every request; and reading a tutor answer's server-sent events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use cloudmaster_core::api::TutorEvent;
use cloudmaster_core::sse::SseParser;
use serde_json::{Value, json};

use crate::api_support::{Session, TestApp};

/// How the fake provider answers.
#[derive(Clone)]
pub enum Script {
    /// OpenAI's stream: one chunk per piece, a finish chunk, the usage chunk, `[DONE]`.
    OpenAi {
        pieces: Vec<&'static str>,
        prompt_tokens: u32,
        completion_tokens: u32,
    },
    /// Anthropic's stream, as documented: message_start … message_stop.
    Anthropic {
        pieces: Vec<&'static str>,
        input_tokens: u32,
        output_tokens: u32,
    },
    /// OpenAI chunks every `every`, without end.
    Endless { every: Duration },
    /// The head, then nothing.
    Stall,
    /// An error status with an OpenAI-style error body.
    Status(u16),
    /// A chunk that is not JSON.
    Malformed,
}

/// A provider on a local port; see [`fake_provider`].
pub struct FakeProvider {
    /// The base URL to configure (`http://127.0.0.1:PORT/v1`).
    pub url: String,
    /// Each request's JSON body and headers, in order.
    pub requests: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    /// Set when the server's response stream was dropped before its end: the tutor hung up.
    pub hung_up: Arc<AtomicBool>,
    script: Arc<Mutex<Script>>,
}

impl FakeProvider {
    /// Answers the next requests by `script`.
    pub fn set_script(&self, script: Script) {
        *self.script.lock().unwrap() = script;
    }

    /// Every text each request carried (system and messages), joined per request.
    pub fn prompts(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(_, body)| prompt_text(body))
            .collect()
    }
}

fn prompt_text(body: &Value) -> String {
    let mut text = body["system"].as_str().unwrap_or_default().to_owned();
    for message in body["messages"].as_array().into_iter().flatten() {
        text.push('\n');
        text.push_str(message["content"].as_str().unwrap_or_default());
    }
    text
}

/// Sets its flag when dropped before `finished`: the stream was abandoned mid-way.
struct HangUpGuard {
    flag: Arc<AtomicBool>,
    finished: bool,
}

impl Drop for HangUpGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
}

/// Starts a provider that answers every request by `script`.
pub async fn fake_provider(script: Script) -> FakeProvider {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let hung_up = Arc::new(AtomicBool::new(false));
    let script = Arc::new(Mutex::new(script));
    let (seen, flag, current) = (requests.clone(), hung_up.clone(), script.clone());
    let answer = move |headers: HeaderMap, body: axum::Json<Value>| {
        let (seen, flag) = (seen.clone(), flag.clone());
        let script = current.lock().unwrap().clone();
        async move {
            seen.lock().unwrap().push((headers, body.0));
            respond(script, flag)
        }
    };
    let app = Router::new()
        .route("/v1/chat/completions", post(answer.clone()))
        .route("/v1/messages", post(answer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    FakeProvider {
        url: format!("http://{addr}/v1"),
        requests,
        hung_up,
        script,
    }
}

fn sse(event: Option<&str>, data: &Value) -> String {
    match event {
        Some(name) => format!("event: {name}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

fn openai_chunk(delta: Value, finish: Option<&str>) -> String {
    sse(
        None,
        &json!({"object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
    )
}

fn respond(script: Script, flag: Arc<AtomicBool>) -> Response {
    let events: Vec<String> = match script {
        Script::Status(status) => {
            let body =
                json!({"error": {"message": "the model is overloaded", "type": "server_error"}});
            return (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
        }
        Script::Malformed => vec![
            openai_chunk(json!({"content": "Hel"}), None),
            "data: {not json\n\n".to_owned(),
        ],
        Script::OpenAi {
            pieces,
            prompt_tokens,
            completion_tokens,
        } => {
            let mut events = vec![openai_chunk(
                json!({"role": "assistant", "content": null}),
                None,
            )];
            events.extend(
                pieces
                    .iter()
                    .map(|p| openai_chunk(json!({"content": p}), None)),
            );
            events.push(openai_chunk(json!({}), Some("stop")));
            events.push(sse(
                None,
                &json!({"object": "chat.completion.chunk", "choices": [],
                        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                  "total_tokens": prompt_tokens + completion_tokens}}),
            ));
            events.push("data: [DONE]\n\n".to_owned());
            events
        }
        Script::Anthropic {
            pieces,
            input_tokens,
            output_tokens,
        } => {
            let mut events = vec![
                sse(
                    Some("message_start"),
                    &json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
                        "role": "assistant", "content": [], "model": "claude-test",
                        "stop_reason": null, "usage": {"input_tokens": input_tokens, "output_tokens": 1}}}),
                ),
                sse(
                    Some("content_block_start"),
                    &json!({"type": "content_block_start", "index": 0,
                            "content_block": {"type": "text", "text": ""}}),
                ),
                sse(Some("ping"), &json!({"type": "ping"})),
            ];
            events.extend(pieces.iter().map(|p| {
                sse(
                    Some("content_block_delta"),
                    &json!({"type": "content_block_delta", "index": 0,
                            "delta": {"type": "text_delta", "text": p}}),
                )
            }));
            events.push(sse(
                Some("content_block_stop"),
                &json!({"type": "content_block_stop", "index": 0}),
            ));
            events.push(sse(
                Some("message_delta"),
                &json!({"type": "message_delta",
                        "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                        "usage": {"output_tokens": output_tokens}}),
            ));
            events.push(sse(Some("message_stop"), &json!({"type": "message_stop"})));
            events
        }
        Script::Endless { every } => {
            let guard = HangUpGuard {
                flag,
                finished: false,
            };
            let stream = futures_util::stream::unfold(guard, move |guard| async move {
                tokio::time::sleep(every).await;
                let chunk = openai_chunk(json!({"content": "more "}), None);
                Some((Ok::<_, std::convert::Infallible>(chunk), guard))
            });
            return event_stream(Body::from_stream(stream));
        }
        Script::Stall => {
            let stream =
                futures_util::stream::pending::<Result<String, std::convert::Infallible>>();
            return event_stream(Body::from_stream(stream));
        }
    };
    let guard = HangUpGuard {
        flag,
        finished: false,
    };
    let stream = futures_util::stream::unfold(
        (events.into_iter(), guard),
        |(mut events, mut guard): (std::vec::IntoIter<String>, HangUpGuard)| async move {
            let Some(event) = events.next() else {
                guard.finished = true;
                drop(guard);
                return None;
            };
            Some((Ok::<_, std::convert::Infallible>(event), (events, guard)))
        },
    );
    event_stream(Body::from_stream(stream))
}

fn event_stream(body: Body) -> Response {
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(body)
        .unwrap()
}

/// A tutor answer as it arrived.
pub struct Answer {
    pub status: u16,
    pub events: Vec<TutorEvent>,
    /// The error body of a refused question.
    pub error: Value,
}

impl Answer {
    /// The text of every delta.
    pub fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                TutorEvent::Delta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn start(&self) -> &TutorEvent {
        self.events.first().expect("a start event")
    }

    pub fn last(&self) -> &TutorEvent {
        self.events.last().expect("a last event")
    }

    /// The conversation the answer belongs to.
    pub fn conversation(&self) -> String {
        match self.start() {
            TutorEvent::Start { conversation, .. } => conversation.to_string(),
            other => panic!("not a start event: {other:?}"),
        }
    }
}

/// Asks the tutor as `learner` and reads the whole answer.
pub async fn ask(app: &TestApp, learner: &Session, question: Value) -> Answer {
    let response = app
        .http
        .post(app.url("/api/v1/tutor/ask"))
        .bearer_auth(&learner.token)
        .json(&question)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    if status != 200 {
        return Answer {
            status,
            events: Vec::new(),
            error: serde_json::from_slice(&body).unwrap_or(Value::Null),
        };
    }
    let mut parser = SseParser::default();
    let events = parser
        .push(&body)
        .unwrap()
        .into_iter()
        .map(|e| serde_json::from_str(&e.data).expect("a TutorEvent"))
        .collect();
    Answer {
        status,
        events,
        error: Value::Null,
    }
}

/// Asks the tutor as `learner`, reads until the first piece of the answer arrived, then
/// hangs up (as Ctrl-C does).
pub async fn ask_and_hang_up(app: &TestApp, learner: &Session, question: Value) {
    let mut response = app
        .http
        .post(app.url("/api/v1/tutor/ask"))
        .bearer_auth(&learner.token)
        .json(&question)
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    while !seen.contains("event: delta") {
        let chunk = response.chunk().await.unwrap().expect("more of the answer");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// The learner's only conversation once the server has saved it (a cancelled answer is
/// saved after the connection closed), with its messages.
pub async fn saved_conversation(app: &TestApp, learner: &Session) -> Value {
    for _ in 0..500 {
        let list = app
            .get("/api/v1/tutor/conversations", learner.t())
            .await
            .expect(200)
            .body;
        if let Some(id) = list[0]["id"].as_str() {
            let path = format!("/api/v1/tutor/conversations/{id}");
            return app.get(&path, learner.t()).await.expect(200).body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the answer was never saved");
}
