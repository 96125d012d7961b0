//! Raw terminal input → crossterm events, for a TUI served over SSH.
//!
//! Locally crossterm reads the terminal and hands the TUI [`Event`]s; over SSH the server
//! gets the client's keystrokes as bytes (what a terminal emulator in raw mode sends: UTF-8
//! text, C0 control bytes, xterm/VT220 escape sequences) and crossterm's parser is private.
//! [`InputParser`] turns those bytes into the events crossterm would give for the same keys,
//! so the key map ([`crate::keymap`]) works unchanged.
//!
//! The bytes come from a remote peer, so nothing here trusts them: invalid UTF-8 is skipped,
//! unknown or malformed sequences are dropped, and what waits for more bytes is capped
//! ([`InputParser`] says how).

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

const ESC: u8 = 0x1b;
const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";
/// The longest incomplete key sequence kept for the next read. Real ones are far shorter
/// (an SGR mouse report, the longest input sequence a terminal sends, is under 20 bytes).
const MAX_PENDING: usize = 64;
/// The largest bracketed paste kept; a longer one is dropped whole.
const MAX_PASTE: usize = 1 << 20;

/// Turns the bytes a terminal sends into key events, across reads.
///
/// A read may end in the middle of an escape sequence or a UTF-8 character; those bytes wait
/// for the next [`feed`](Self::feed). A lone ESC is ambiguous (the Escape key, or the start
/// of a sequence whose rest is still on its way), so it waits too: the caller calls
/// [`flush`](Self::flush) when no more bytes came soon after ([`has_pending`](Self::has_pending)).
///
/// Memory stays bounded whatever the peer sends: an incomplete sequence longer than 64 bytes
/// is dropped (the bytes after it are read as keys again), and a bracketed paste longer than
/// 1 MiB is dropped whole, its remaining bytes skipped up to its end marker so that pasted
/// text never turns into keys.
#[derive(Debug, Default)]
pub struct InputParser {
    /// The bytes of an incomplete key sequence at the end of the last read.
    pending: Vec<u8>,
    /// Set between the start and the end marker of a bracketed paste.
    paste: Option<PasteBuffer>,
}

impl InputParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `bytes` (appended to what an earlier call left incomplete) into events.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut input = std::mem::take(&mut self.pending);
        input.extend_from_slice(bytes);
        self.parse(&input, true)
    }

    /// Whether an incomplete sequence waits for more bytes.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty() || self.paste.is_some()
    }

    /// No more bytes came soon after an incomplete sequence: what is pending stands for
    /// keys on its own (a lone ESC is the Escape key; `ESC x` is Alt-x, `ESC [` Alt-[). The
    /// start of a longer sequence cut short, or of a UTF-8 character, is dropped. An
    /// unfinished bracketed paste stays pending: only its end marker ends it.
    pub fn flush(&mut self) -> Vec<Event> {
        let input = std::mem::take(&mut self.pending);
        self.parse(&input, false)
    }

    /// Parses `input` into events; with `more_may_come`, an incomplete sequence at its end is
    /// kept in `pending`.
    fn parse(&mut self, input: &[u8], more_may_come: bool) -> Vec<Event> {
        let mut events = Vec::new();
        let mut rest = input;
        loop {
            if let Some(paste) = &mut self.paste {
                let Some(taken) = paste.push(rest) else { break };
                let paste = self.paste.take().expect("inside a paste");
                if !paste.overflowed {
                    events.push(Event::Paste(
                        String::from_utf8_lossy(&paste.text).into_owned(),
                    ));
                }
                rest = &rest[taken..];
            }
            if rest.is_empty() {
                break;
            }
            match parse_key(rest, more_may_come) {
                Step::Read { len, event } => {
                    events.extend(event.map(Event::Key));
                    rest = &rest[len..];
                }
                Step::PasteStart => {
                    self.paste = Some(PasteBuffer::default());
                    rest = &rest[PASTE_START.len()..];
                }
                Step::Incomplete => {
                    if rest.len() <= MAX_PENDING {
                        self.pending = rest.to_vec();
                    }
                    break;
                }
            }
        }
        events
    }
}

/// The text of a bracketed paste, gathered until its end marker.
#[derive(Debug, Default)]
struct PasteBuffer {
    text: Vec<u8>,
    /// The paste outgrew [`MAX_PASTE`]: it is dropped, and `text` only keeps the last bytes,
    /// in which the end marker may have begun.
    overflowed: bool,
}

impl PasteBuffer {
    /// Adds `bytes` to the paste; if they end it, returns how many of them it took (up to
    /// and with the end marker), and `text` is then the whole paste.
    fn push(&mut self, bytes: &[u8]) -> Option<usize> {
        // The end marker may have begun in the bytes of an earlier read.
        let search_from = self.text.len().saturating_sub(PASTE_END.len() - 1);
        let before = self.text.len();
        self.text.extend_from_slice(bytes);
        if let Some(at) = find(&self.text[search_from..], PASTE_END) {
            let end = search_from + at;
            self.text.truncate(end);
            self.overflowed |= end > MAX_PASTE;
            return Some(end + PASTE_END.len() - before);
        }
        if self.text.len() > MAX_PASTE {
            self.overflowed = true;
            let keep_from = self.text.len() - (PASTE_END.len() - 1);
            self.text.drain(..keep_from);
        }
        None
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What the bytes at the start of the input stand for.
#[derive(Debug)]
enum Step {
    /// The first `len` bytes are one key, or nothing when they are dropped (invalid UTF-8,
    /// an unknown sequence, a mouse report).
    Read { len: usize, event: Option<KeyEvent> },
    /// The bytes begin a sequence (or a UTF-8 character) that more bytes would complete.
    Incomplete,
    /// `ESC [ 200 ~`: the bytes after it are pasted text.
    PasteStart,
}

fn key(len: usize, code: KeyCode, modifiers: KeyModifiers) -> Step {
    Step::Read {
        len,
        event: Some(KeyEvent::new(code, modifiers)),
    }
}

fn dropped(len: usize) -> Step {
    Step::Read { len, event: None }
}

/// Reads one key from the start of `bytes` (not empty).
fn parse_key(bytes: &[u8], more_may_come: bool) -> Step {
    match bytes[0] {
        ESC => parse_escape(bytes, more_may_come),
        // Terminals send CR for Enter; LF comes from clients that translate it (crossterm
        // reads LF as Ctrl-J in raw mode, but no binding uses Ctrl-J).
        b'\r' | b'\n' => key(1, KeyCode::Enter, KeyModifiers::NONE),
        b'\t' => key(1, KeyCode::Tab, KeyModifiers::NONE),
        // DEL is the usual Backspace; some terminals send BS (^H) instead.
        0x7f | 0x08 => key(1, KeyCode::Backspace, KeyModifiers::NONE),
        0x00 => key(1, KeyCode::Char(' '), KeyModifiers::CONTROL),
        c @ 0x01..=0x1a => key(
            1,
            KeyCode::Char((b'a' + c - 1) as char),
            KeyModifiers::CONTROL,
        ),
        c @ 0x1c..=0x1f => key(
            1,
            KeyCode::Char((b'4' + c - 0x1c) as char),
            KeyModifiers::CONTROL,
        ),
        _ => parse_char(bytes, more_may_come),
    }
}

/// A UTF-8 character; upper-case letters carry Shift, as crossterm reports them.
fn parse_char(bytes: &[u8], more_may_come: bool) -> Step {
    let head = &bytes[..bytes.len().min(4)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(error) if error.valid_up_to() > 0 => {
            std::str::from_utf8(&head[..error.valid_up_to()]).expect("valid up to there")
        }
        Err(error) => {
            return match error.error_len() {
                Some(invalid) => dropped(invalid),
                None if more_may_come => Step::Incomplete,
                None => dropped(head.len()),
            };
        }
    };
    let c = text.chars().next().expect("at least one character");
    let modifiers = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    key(c.len_utf8(), KeyCode::Char(c), modifiers)
}

/// `bytes` starts with ESC: the Escape key, a CSI (`ESC [`) or SS3 (`ESC O`) sequence, or
/// Alt with the key that follows.
fn parse_escape(bytes: &[u8], more_may_come: bool) -> Step {
    match bytes.get(1) {
        None if more_may_come => Step::Incomplete,
        // A second ESC is a key (or sequence) of its own: the first one is Escape.
        None | Some(&ESC) => key(1, KeyCode::Esc, KeyModifiers::NONE),
        Some(b'[') if bytes.len() > 2 || more_may_come => parse_csi(bytes, more_may_come),
        Some(b'O') if bytes.len() > 2 || more_may_come => parse_ss3(bytes, more_may_come),
        Some(_) => match parse_key(&bytes[1..], more_may_come) {
            Step::Read {
                len,
                event: Some(mut event),
            } => {
                event.modifiers |= KeyModifiers::ALT;
                Step::Read {
                    len: len + 1,
                    event: Some(event),
                }
            }
            // ESC and then an invalid byte: Escape, and the byte is skipped on its own.
            Step::Read { event: None, .. } => key(1, KeyCode::Esc, KeyModifiers::NONE),
            other => other,
        },
    }
}

/// `ESC [ parameters final`: parameter bytes are 0x20–0x3f, the final byte 0x40–0x7e.
fn parse_csi(bytes: &[u8], more_may_come: bool) -> Step {
    match bytes.get(2) {
        // X10 mouse report: `ESC [ M` and three raw bytes (button, column, row).
        Some(b'M') => {
            return match bytes.len() {
                6.. => dropped(6),
                _ if more_may_come => Step::Incomplete,
                len => dropped(len),
            };
        }
        // The Linux console's F1–F5: `ESC [ [ A` to `ESC [ [ E`.
        Some(b'[') => {
            return match bytes.get(3) {
                Some(&c @ b'A'..=b'E') => key(4, KeyCode::F(1 + c - b'A'), KeyModifiers::NONE),
                Some(_) => dropped(3),
                None if more_may_come => Step::Incomplete,
                None => dropped(3),
            };
        }
        _ => {}
    }
    let (len, params, last) = match split_sequence(bytes, more_may_come) {
        Ok(parts) => parts,
        Err(step) => return step,
    };
    if &bytes[..len] == PASTE_START {
        return Step::PasteStart;
    }
    let Some(params) = numbers(params) else {
        return dropped(len);
    };
    let event = match (last, params.as_slice()) {
        (b'Z', [] | [1, _]) => Some(KeyEvent::new(
            KeyCode::BackTab,
            KeyModifiers::SHIFT | modifiers(params.get(1)),
        )),
        // `ESC [ 1 ; 5 R` is also how a terminal reports its cursor position; crossterm
        // reads it so, so F3 never comes as CSI.
        (b'R', _) => None,
        (b'~', [number, mask @ ..]) => {
            special_key(*number).map(|code| KeyEvent::new(code, modifiers(mask.first())))
        }
        (_, [] | [1] | [1, _]) => {
            letter_key(last).map(|code| KeyEvent::new(code, modifiers(params.get(1))))
        }
        _ => None,
    };
    Step::Read { len, event }
}

/// `ESC O final` (what arrows, Home, End and F1–F4 send in application mode).
fn parse_ss3(bytes: &[u8], more_may_come: bool) -> Step {
    let (len, params, last) = match split_sequence(bytes, more_may_come) {
        Ok(parts) => parts,
        Err(step) => return step,
    };
    let event = letter_key(last)
        .filter(|_| params.is_empty())
        .map(|code| KeyEvent::new(code, KeyModifiers::NONE));
    Step::Read { len, event }
}

/// Splits a CSI or SS3 sequence into its length, its parameter bytes and its final byte; or
/// says what to do when it is not complete yet, or not well formed.
fn split_sequence(bytes: &[u8], more_may_come: bool) -> Result<(usize, &[u8], u8), Step> {
    let body = &bytes[2..];
    for (i, &byte) in body.iter().enumerate() {
        match byte {
            0x20..=0x3f => {}
            0x40..=0x7e => return Ok((2 + i + 1, &body[..i], byte)),
            // A byte that cannot be part of the sequence ends it: what came before is
            // dropped, and that byte is read afresh.
            _ => return Err(dropped(2 + i)),
        }
    }
    Err(if more_may_come {
        Step::Incomplete
    } else {
        dropped(bytes.len())
    })
}

/// `1;5` → `[1, 5]`; an empty parameter is 0 (as in `ESC [ ; 5 A`, rarely sent). `None` for
/// anything but digits and `;` (private sequences such as `ESC [ < ...` or `ESC [ ? ...`).
fn numbers(params: &[u8]) -> Option<Vec<u16>> {
    if params.is_empty() {
        return Some(Vec::new());
    }
    params
        .split(|&b| b == b';')
        .map(|number| match number {
            [] => Some(0),
            digits => std::str::from_utf8(digits).ok()?.parse().ok(),
        })
        .collect()
}

/// The xterm modifier parameter: 1 plus a bitmask of Shift 1, Alt 2, Ctrl 4 (and Super 8,
/// Hyper 16, Meta 32, which crossterm reports too).
fn modifiers(mask: Option<&u16>) -> KeyModifiers {
    let bits = mask.map_or(0, |mask| mask.saturating_sub(1));
    [
        (1, KeyModifiers::SHIFT),
        (2, KeyModifiers::ALT),
        (4, KeyModifiers::CONTROL),
        (8, KeyModifiers::SUPER),
        (16, KeyModifiers::HYPER),
        (32, KeyModifiers::META),
    ]
    .into_iter()
    .filter(|(bit, _)| bits & bit != 0)
    .fold(KeyModifiers::NONE, |all, (_, modifier)| all | modifier)
}

/// The keys named by the final byte of `ESC [ X`, `ESC [ 1 ; m X` and `ESC O X`.
fn letter_key(last: u8) -> Option<KeyCode> {
    Some(match last {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        _ => return None,
    })
}

/// The keys of `ESC [ n ~` (VT220), numbered as crossterm numbers them.
fn special_key(number: u16) -> Option<KeyCode> {
    let f = |n: u16| Some(KeyCode::F(n as u8));
    match number {
        1 | 7 => Some(KeyCode::Home),
        2 => Some(KeyCode::Insert),
        3 => Some(KeyCode::Delete),
        4 | 8 => Some(KeyCode::End),
        5 => Some(KeyCode::PageUp),
        6 => Some(KeyCode::PageDown),
        11..=15 => f(number - 10),
        17..=21 => f(number - 11),
        23..=26 => f(number - 12),
        28..=29 => f(number - 15),
        31..=34 => f(number - 17),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
