//! Server-sent events (the `text/event-stream` format): an incremental parser that takes the
//! bytes as they arrive, in pieces of any size, and yields whole events.
//!
//! The tutor's answers arrive this way at the CLI and TUI, and the model providers' answers
//! at the server (OpenAI's and Anthropic's streaming APIs are both SSE).

/// One event: its `event:` name (`message` when it had none) and its `data:` lines joined
/// with newlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// A line longer than the parser's limit: the stream is not the SSE it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a server-sent event line exceeds {limit} bytes")]
pub struct LineTooLong {
    pub limit: usize,
}

/// Parses a stream of server-sent events; see the module docs.
#[derive(Debug)]
pub struct SseParser {
    line: Vec<u8>,
    event: String,
    data: String,
    has_data: bool,
    /// The last byte seen was `\r`: a `\n` right after it ends nothing more.
    after_cr: bool,
    max_line: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new(1 << 20)
    }
}

impl SseParser {
    /// A parser that refuses lines longer than `max_line` bytes (so a broken peer cannot make
    /// it buffer without end).
    pub fn new(max_line: usize) -> Self {
        SseParser {
            line: Vec::new(),
            event: String::new(),
            data: String::new(),
            has_data: false,
            after_cr: false,
            max_line,
        }
    }

    /// Feeds the next bytes; returns the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, LineTooLong> {
        let mut events = Vec::new();
        for &byte in bytes {
            let after_cr = std::mem::replace(&mut self.after_cr, byte == b'\r');
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    if let Some(event) = self.end_line() {
                        events.push(event);
                    }
                }
                _ => {
                    if self.line.len() >= self.max_line {
                        return Err(LineTooLong {
                            limit: self.max_line,
                        });
                    }
                    self.line.push(byte);
                }
            }
        }
        Ok(events)
    }

    /// Handles one complete line; an empty line dispatches the event read so far.
    fn end_line(&mut self) -> Option<SseEvent> {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        if line.is_empty() {
            let event = std::mem::take(&mut self.event);
            let data = std::mem::take(&mut self.data);
            return std::mem::take(&mut self.has_data).then(|| SseEvent {
                event: if event.is_empty() {
                    "message".to_owned()
                } else {
                    event
                },
                data,
            });
        }
        if line.starts_with(':') {
            return None; // a comment (keep-alive)
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            _ => {} // `id`, `retry` and unknown fields mean nothing to us
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(parser: &mut SseParser, input: &[u8]) -> Vec<SseEvent> {
        parser.push(input).unwrap()
    }

    #[test]
    fn events_split_anywhere_come_out_whole() {
        let stream = b"event: delta\ndata: {\"a\":1}\n\n: keep-alive\n\ndata: one\ndata: two\r\n\r\nevent: done\ndata:\n\n";
        for split in 0..stream.len() {
            let mut parser = SseParser::default();
            let mut events = all(&mut parser, &stream[..split]);
            events.extend(all(&mut parser, &stream[split..]));
            assert_eq!(
                events,
                vec![
                    SseEvent {
                        event: "delta".into(),
                        data: "{\"a\":1}".into()
                    },
                    SseEvent {
                        event: "message".into(),
                        data: "one\ntwo".into()
                    },
                    SseEvent {
                        event: "done".into(),
                        data: String::new()
                    },
                ],
                "split at {split}"
            );
        }
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut parser = SseParser::new(16);
        assert_eq!(
            parser.push(&[b'x'; 17]).unwrap_err(),
            LineTooLong { limit: 16 }
        );
    }
}
