use super::*;
use crate::keymap::{self, Key};

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

fn plain(code: KeyCode) -> Event {
    key(code, KeyModifiers::NONE)
}

fn ch(c: char) -> Event {
    plain(KeyCode::Char(c))
}

fn shifted(c: char) -> Event {
    key(KeyCode::Char(c), KeyModifiers::SHIFT)
}

fn ctrl(c: char) -> Event {
    key(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn alt(c: char) -> Event {
    key(KeyCode::Char(c), KeyModifiers::ALT)
}

/// Compared field by field: crossterm's `KeyEvent` equality takes `G` and `Shift-G` for the
/// same key, and whether upper-case letters carry Shift is part of what is checked here.
#[track_caller]
fn assert_events(actual: &[Event], expected: &[Event]) {
    assert_eq!(format!("{actual:?}"), format!("{expected:?}"));
}

/// All of `bytes` in one read, then the pause that ends it.
fn parse_all(bytes: &[u8]) -> Vec<Event> {
    let mut parser = InputParser::new();
    let mut events = parser.feed(bytes);
    events.extend(parser.flush());
    events
}

/// What the terminal sends for each key, one key each.
fn keys() -> Vec<(&'static [u8], Event)> {
    use KeyCode::*;
    let shift = KeyModifiers::SHIFT;
    let ctrl_mod = KeyModifiers::CONTROL;
    vec![
        // Characters; upper-case letters carry Shift, as crossterm reports them.
        (b"a", ch('a')),
        (b"G", shifted('G')),
        (b"?", ch('?')),
        (b" ", ch(' ')),
        (b"7", ch('7')),
        ("é".as_bytes(), ch('é')),
        ("É".as_bytes(), shifted('É')),
        ("€".as_bytes(), ch('€')),
        ("🦀".as_bytes(), ch('🦀')),
        // Control bytes.
        (b"\r", plain(Enter)),
        (b"\n", plain(Enter)),
        (b"\t", plain(Tab)),
        (b"\x1b[Z", key(BackTab, shift)),
        (b"\x7f", plain(Backspace)),
        (b"\x08", plain(Backspace)),
        (b"\x01", ctrl('a')),
        (b"\x03", ctrl('c')),
        (b"\x04", ctrl('d')),
        (b"\x0e", ctrl('n')),
        (b"\x15", ctrl('u')),
        (b"\x1a", ctrl('z')),
        (b"\x00", ctrl(' ')),
        (b"\x1c", ctrl('4')),
        (b"\x1d", ctrl('5')),
        (b"\x1e", ctrl('6')),
        (b"\x1f", ctrl('7')),
        // Alt: ESC and the key.
        (b"\x1bx", alt('x')),
        (b"\x1bX", key(Char('X'), KeyModifiers::ALT | shift)),
        (b"\x1b\r", key(Enter, KeyModifiers::ALT)),
        (b"\x1b\x7f", key(Backspace, KeyModifiers::ALT)),
        (b"\x1b\x03", key(Char('c'), KeyModifiers::ALT | ctrl_mod)),
        ("\x1bé".as_bytes(), alt('é')),
        // Cursor keys, normal and application mode.
        (b"\x1b[A", plain(Up)),
        (b"\x1b[B", plain(Down)),
        (b"\x1b[C", plain(Right)),
        (b"\x1b[D", plain(Left)),
        (b"\x1bOA", plain(Up)),
        (b"\x1bOB", plain(Down)),
        (b"\x1bOC", plain(Right)),
        (b"\x1bOD", plain(Left)),
        (b"\x1b[H", plain(Home)),
        (b"\x1b[F", plain(End)),
        (b"\x1bOH", plain(Home)),
        (b"\x1bOF", plain(End)),
        // VT220 keys.
        (b"\x1b[1~", plain(Home)),
        (b"\x1b[7~", plain(Home)),
        (b"\x1b[4~", plain(End)),
        (b"\x1b[8~", plain(End)),
        (b"\x1b[2~", plain(Insert)),
        (b"\x1b[3~", plain(Delete)),
        (b"\x1b[5~", plain(PageUp)),
        (b"\x1b[6~", plain(PageDown)),
        // Function keys.
        (b"\x1bOP", plain(F(1))),
        (b"\x1bOQ", plain(F(2))),
        (b"\x1bOR", plain(F(3))),
        (b"\x1bOS", plain(F(4))),
        (b"\x1b[11~", plain(F(1))),
        (b"\x1b[12~", plain(F(2))),
        (b"\x1b[13~", plain(F(3))),
        (b"\x1b[14~", plain(F(4))),
        (b"\x1b[15~", plain(F(5))),
        (b"\x1b[17~", plain(F(6))),
        (b"\x1b[18~", plain(F(7))),
        (b"\x1b[19~", plain(F(8))),
        (b"\x1b[20~", plain(F(9))),
        (b"\x1b[21~", plain(F(10))),
        (b"\x1b[23~", plain(F(11))),
        (b"\x1b[24~", plain(F(12))),
        (b"\x1b[[A", plain(F(1))),
        (b"\x1b[[E", plain(F(5))),
        // xterm modifiers: 1 + (Shift 1 | Alt 2 | Ctrl 4).
        (b"\x1b[1;2A", key(Up, shift)),
        (b"\x1b[1;3D", key(Left, KeyModifiers::ALT)),
        (b"\x1b[1;5C", key(Right, ctrl_mod)),
        (
            b"\x1b[1;8H",
            key(Home, shift | KeyModifiers::ALT | ctrl_mod),
        ),
        (b"\x1b[1;5P", key(F(1), ctrl_mod)),
        (b"\x1b[5;5~", key(PageUp, ctrl_mod)),
        (b"\x1b[3;2~", key(Delete, shift)),
        (b"\x1b[15;2~", key(F(5), shift)),
        (b"\x1b[24;7~", key(F(12), KeyModifiers::ALT | ctrl_mod)),
    ]
}

/// Sequences that stand for no key: dropped whole, so nothing of them leaks out as keys.
const DROPPED: &[&[u8]] = &[
    b"\x1b[99~",
    b"\x1b[I",
    b"\x1b[O",
    b"\x1b[M !!",
    b"\x1b[M\xff\xfe\x80",
    b"\x1b[<0;10;20M",
    b"\x1b[<0;10;20m",
    b"\x1b[?1;2c",
    b"\x1b[12;40R",
    b"\x1b[201~",
    b"\x1b[2$y",
    b"\x1bOx",
    b"\x1b[1;5x",
    b"\xff",
    b"\x80",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
];

const PASTE: (&[u8], &str) = (
    b"\x1b[200~line one\r\n\x1b[A\tq\x1b[201~",
    "line one\r\n\x1b[A\tq",
);

/// Every key, every dropped sequence and a paste, one after the other, and the events
/// they stand for.
fn stream() -> (Vec<u8>, Vec<Event>) {
    let mut bytes = Vec::new();
    let mut events = Vec::new();
    for (i, (key_bytes, event)) in keys().into_iter().enumerate() {
        bytes.extend_from_slice(key_bytes);
        events.push(event);
        if let Some(dropped) = DROPPED.get(i) {
            bytes.extend_from_slice(dropped);
        }
    }
    bytes.extend_from_slice(PASTE.0);
    events.push(Event::Paste(PASTE.1.to_owned()));
    bytes.push(b'q');
    events.push(ch('q'));
    (bytes, events)
}

#[test]
fn each_key_gives_its_event() {
    for (bytes, event) in keys() {
        let mut parser = InputParser::new();
        let events = parser.feed(bytes);
        assert_events(&events, std::slice::from_ref(&event));
        assert!(!parser.has_pending(), "{bytes:?} left bytes pending");
    }
}

#[test]
fn sequences_that_name_no_key_are_dropped() {
    for &bytes in DROPPED {
        let mut input = bytes.to_vec();
        input.push(b'k');
        assert_events(&parse_all(&input), &[ch('k')]);
    }
}

#[test]
fn a_bracketed_paste_is_one_event_whatever_it_holds() {
    assert_events(&parse_all(PASTE.0), &[Event::Paste(PASTE.1.to_owned())]);
    assert_events(
        &parse_all(b"\x1b[200~\x1b[201~"),
        &[Event::Paste(String::new())],
    );
}

#[test]
fn a_read_cut_anywhere_gives_the_same_events() {
    let (bytes, expected) = stream();
    assert_events(&parse_all(&bytes), &expected);
    for cut in 0..=bytes.len() {
        let mut parser = InputParser::new();
        let mut events = parser.feed(&bytes[..cut]);
        events.extend(parser.feed(&bytes[cut..]));
        assert_events(&events, &expected);
        assert!(!parser.has_pending(), "cut at {cut}");
    }
}

#[test]
fn a_byte_at_a_time_gives_the_same_events() {
    let (bytes, expected) = stream();
    let mut parser = InputParser::new();
    let events: Vec<Event> = bytes.iter().flat_map(|&b| parser.feed(&[b])).collect();
    assert_events(&events, &expected);
}

#[test]
fn a_lone_escape_waits_for_the_pause_that_makes_it_the_escape_key() {
    let mut parser = InputParser::new();
    assert_events(&parser.feed(b"\x1b"), &[]);
    assert!(parser.has_pending());
    assert_events(&parser.flush(), &[plain(KeyCode::Esc)]);
    assert!(!parser.has_pending());
    assert_events(&parser.flush(), &[]);
}

#[test]
fn escape_then_a_key_in_the_next_read_is_alt_unless_flushed_between() {
    let mut parser = InputParser::new();
    parser.feed(b"\x1b");
    assert_events(&parser.feed(b"x"), &[alt('x')]);

    parser.feed(b"\x1b");
    parser.flush();
    assert_events(&parser.feed(b"x"), &[ch('x')]);
}

#[test]
fn a_second_escape_starts_a_key_of_its_own() {
    let esc = plain(KeyCode::Esc);
    let mut parser = InputParser::new();
    assert_events(&parser.feed(b"\x1b\x1b"), std::slice::from_ref(&esc));
    assert_events(&parser.flush(), std::slice::from_ref(&esc));
    assert_events(
        &parse_all(b"\x1b\x1b[A"),
        &[esc.clone(), plain(KeyCode::Up)],
    );
    assert_events(&parse_all(b"\x1b\x1bx"), &[esc.clone(), alt('x')]);
    assert_events(
        &parse_all(b"\x1b\x1b\x1b"),
        &[esc.clone(), esc.clone(), esc],
    );
}

#[test]
fn what_a_flush_makes_of_an_unfinished_sequence() {
    let alt_shift = KeyModifiers::ALT | KeyModifiers::SHIFT;
    assert_events(&parse_all(b"\x1b["), &[alt('[')]);
    assert_events(&parse_all(b"\x1bO"), &[key(KeyCode::Char('O'), alt_shift)]);
    // Cut short: noise, not typing.
    assert_events(&parse_all(b"\x1b[1;"), &[]);
    assert_events(&parse_all(b"\x1b[M!"), &[]);
    assert_events(&parse_all(b"\xe2\x82"), &[]);
    assert_events(&parse_all(b"\x1b\xe2\x82"), &[plain(KeyCode::Esc)]);
}

#[test]
fn invalid_utf8_is_skipped_byte_by_byte() {
    assert_events(
        &parse_all(b"a\xffb\x80c\xc3(d\xf0\x9f\x80e"),
        &[ch('a'), ch('b'), ch('c'), ch('('), ch('d'), ch('e')],
    );
    assert_events(&parse_all(b"\x1b\xffz"), &[plain(KeyCode::Esc), ch('z')]);
}

#[test]
fn an_unfinished_paste_outlasts_a_flush() {
    let mut parser = InputParser::new();
    assert_events(&parser.feed(b"\x1b[200~ab"), &[]);
    assert_events(&parser.flush(), &[]);
    assert!(parser.has_pending());
    assert_events(
        &parser.feed(b"c\x1b[201~j"),
        &[Event::Paste("abc".to_owned()), ch('j')],
    );
    assert!(!parser.has_pending());
}

#[test]
fn an_overlong_sequence_is_dropped() {
    let mut parser = InputParser::new();
    let mut long = b"\x1b[".to_vec();
    long.extend(b"1;".repeat(MAX_PENDING));
    assert_events(&parser.feed(&long), &[]);
    assert!(!parser.has_pending());

    // Across reads too: pending never outgrows the cap.
    parser.feed(b"\x1b[");
    for _ in 0..2 * MAX_PENDING {
        parser.feed(b";");
        assert!(parser.pending.len() <= MAX_PENDING);
    }
    assert_events(&parser.feed(b"k"), &[ch('k')]);
}

#[test]
fn an_overlong_paste_is_dropped_whole_and_never_typed() {
    let mut parser = InputParser::new();
    parser.feed(PASTE_START);
    assert_events(&parser.feed(&vec![b'q'; MAX_PASTE]), &[]);
    assert_events(&parser.feed(b"qq\x1b[20"), &[]);
    let kept = parser.paste.as_ref().map(|paste| paste.text.len());
    assert!(kept < Some(PASTE_END.len()), "{kept:?} bytes kept");
    assert_events(&parser.feed(b"qqq"), &[]);
    assert_events(&parser.feed(b"\x1b[201~k"), &[ch('k')]);

    // All in one read.
    let mut one_read = PASTE_START.to_vec();
    one_read.extend(vec![b'q'; MAX_PASTE + 1]);
    one_read.extend_from_slice(PASTE_END);
    one_read.push(b'k');
    assert_events(&parse_all(&one_read), &[ch('k')]);

    // At the cap, the paste is kept.
    let mut at_cap = PASTE_START.to_vec();
    at_cap.extend(vec![b'q'; MAX_PASTE]);
    at_cap.extend_from_slice(PASTE_END);
    let events = parse_all(&at_cap);
    assert!(matches!(events.as_slice(), [Event::Paste(text)] if text.len() == MAX_PASTE));
}

/// xorshift64: reproducible noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_bytes_never_panic_and_memory_stays_bounded() {
    // Pieces of real sequences make the noise reach deep into the parser.
    const PIECES: &[&[u8]] = &[
        b"\x1b", b"[", b"O", b"M", b"<", b"?", b";", b"~", b"1", b"5", b"200~", b"201~", b"\xe2",
        b"\x82", b"\xf0", b"A", b"\r",
    ];
    let mut noise = Noise(0x5eed_c10d_0fca_fe42);
    let mut parser = InputParser::new();
    for _ in 0..20_000 {
        let mut bytes = Vec::new();
        for _ in 0..noise.below(24) {
            if noise.below(2) == 0 {
                bytes.extend_from_slice(PIECES[noise.below(PIECES.len())]);
            } else {
                bytes.push(noise.next() as u8);
            }
        }
        parser.feed(&bytes);
        if noise.below(8) == 0 {
            parser.flush();
        }
        assert!(parser.pending.len() <= MAX_PENDING);
        assert!(
            parser
                .paste
                .as_ref()
                .is_none_or(|p| p.text.len() <= MAX_PASTE)
        );
    }
}

/// What a terminal sends for a key the key map binds.
fn typed(key: Key) -> Vec<u8> {
    let ctrl = key.mods.contains(KeyModifiers::CONTROL);
    assert!(
        (key.mods - KeyModifiers::CONTROL).is_empty(),
        "add how a terminal sends {key:?}"
    );
    let bytes: &[u8] = match key.code {
        KeyCode::Char(' ') if ctrl => b"\x00",
        KeyCode::Char(c) if ctrl && c.is_ascii_lowercase() => return vec![c as u8 - b'a' + 1],
        KeyCode::Char(c) if !ctrl => return c.to_string().into_bytes(),
        _ if ctrl => panic!("add how a terminal sends {key:?}"),
        KeyCode::Enter => b"\r",
        KeyCode::Esc => b"\x1b",
        KeyCode::Tab => b"\t",
        KeyCode::BackTab => b"\x1b[Z",
        KeyCode::Backspace => b"\x7f",
        KeyCode::Up => b"\x1b[A",
        KeyCode::Down => b"\x1b[B",
        KeyCode::Right => b"\x1b[C",
        KeyCode::Left => b"\x1b[D",
        KeyCode::Home => b"\x1b[H",
        KeyCode::End => b"\x1b[F",
        KeyCode::PageUp => b"\x1b[5~",
        KeyCode::PageDown => b"\x1b[6~",
        other => panic!("add how a terminal sends {other:?}"),
    };
    bytes.to_vec()
}

#[test]
fn every_key_the_key_map_binds_reaches_its_binding() {
    for ctx in keymap::all_contexts() {
        for section in keymap::sections(ctx) {
            for &bound in section.bindings.iter().flat_map(|binding| binding.keys) {
                let events = parse_all(&typed(bound));
                let [Event::Key(event)] = events.as_slice() else {
                    panic!("{bound:?} gave {events:?}");
                };
                assert_eq!(Key::from_event(event), bound);
                // What crossterm gives locally for the same key: upper-case with Shift.
                let local = match bound.code {
                    KeyCode::Char(c) if c.is_uppercase() => {
                        KeyEvent::new(bound.code, bound.mods | KeyModifiers::SHIFT)
                    }
                    KeyCode::BackTab => KeyEvent::new(bound.code, KeyModifiers::SHIFT),
                    _ => KeyEvent::new(bound.code, bound.mods),
                };
                assert_events(&events, &[Event::Key(local)]);
                let cmd = keymap::lookup(ctx, event);
                assert!(cmd.is_some(), "{bound:?} does nothing in {ctx:?}");
                assert_eq!(cmd, keymap::lookup(ctx, &local));
            }
        }
    }
}
