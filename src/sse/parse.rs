//! An incremental SSE parser that follows the WHATWG "interpreting an event stream" rules over
//! any chunking: feed bytes as they arrive, receive events, retries, comments and errors.
//!
//! Lines are split on bytes (CR and LF never occur inside a UTF-8 sequence), then each complete
//! line is decoded once with replacement characters, as the spec's UTF-8 decode does; so a
//! sequence split across chunks is joined, and each byte is scanned once however the input is
//! chunked. One leading BOM of the stream is dropped; a CR at the end of one chunk and an LF at
//! the start of the next make one line end.

/// One thing the parser found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// A dispatched event, with MessageEvent semantics: `kind` defaults to `message`, and
    /// `last_event_id` is the stream's last-event-id buffer at dispatch time.
    Event { kind: &'a str, data: &'a str, last_event_id: &'a str },
    /// A `retry:` field made of ASCII digits only (milliseconds; saturates at `u64::MAX`).
    Retry(u64),
    /// A comment line's text (after the `:` and one optional space).
    Comment(&'a str),
    /// A line longer than `max_line_bytes`: it was skipped up to its end.
    LineTooLong { limit: usize },
}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

#[derive(Debug, Default)]
pub struct Parser {
    max_line_bytes: Option<usize>,
    bom_done: bool,
    /// Bytes of the current, unterminated line.
    line: Vec<u8>,
    /// The last line ended with CR: an LF right after it belongs to that line end.
    after_cr: bool,
    /// The current line passed `max_line_bytes` and is being skipped.
    skipping: bool,
    data: String,
    kind: String,
    last_event_id: String,
}

impl Parser {
    pub fn new() -> Self {
        Parser::default()
    }

    /// A parser that reports [`Item::LineTooLong`] and skips a line instead of buffering more
    /// than `limit` bytes of it.
    pub fn with_max_line_bytes(limit: usize) -> Self {
        Parser { max_line_bytes: Some(limit), ..Parser::default() }
    }

    /// The last-event-id buffer (persists across events and across [`Parser::reset`]).
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Sets the last-event-id buffer, as a client does with an id it already knows.
    pub fn set_last_event_id(&mut self, id: &str) {
        id.clone_into(&mut self.last_event_id);
    }

    /// Starts a new stream (as after a reconnection): drops the partial line and the event being
    /// built, and expects a BOM again. The last event id is kept, as an EventSource keeps it.
    pub fn reset(&mut self) {
        let last_event_id = std::mem::take(&mut self.last_event_id);
        *self = Parser { max_line_bytes: self.max_line_bytes, last_event_id, ..Parser::default() };
    }

    /// Parses `chunk`, calling `emit` for each item in stream order.
    pub fn feed(&mut self, mut chunk: &[u8], emit: &mut impl FnMut(Item<'_>)) {
        if !self.bom_done {
            chunk = self.strip_bom(chunk);
            if !self.bom_done {
                return;
            }
        }
        while !chunk.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if let Some(rest) = chunk.strip_prefix(b"\n") {
                    chunk = rest;
                    continue;
                }
            }
            match chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    self.buffer(chunk, emit);
                    return;
                }
                Some(at) => {
                    let (head, tail) = chunk.split_at(at);
                    self.buffer(head, emit);
                    self.after_cr = tail.first() == Some(&b'\r');
                    chunk = tail.get(1..).unwrap_or_default();
                    self.end_line(emit);
                }
            }
        }
    }

    /// Consumes the bytes of a leading BOM (possibly split over chunks); bytes that turn out not
    /// to be one stay in the line buffer as ordinary data.
    fn strip_bom<'c>(&mut self, mut chunk: &'c [u8]) -> &'c [u8] {
        while let Some((&byte, rest)) = chunk.split_first() {
            if BOM.get(self.line.len()) != Some(&byte) {
                self.bom_done = true;
                return chunk;
            }
            self.line.push(byte);
            chunk = rest;
            if self.line.len() == BOM.len() {
                self.line.clear();
                self.bom_done = true;
                return chunk;
            }
        }
        chunk
    }

    fn buffer(&mut self, bytes: &[u8], emit: &mut impl FnMut(Item<'_>)) {
        if self.skipping {
            return;
        }
        if let Some(limit) = self.max_line_bytes {
            if self.line.len().saturating_add(bytes.len()) > limit {
                self.line.clear();
                self.skipping = true;
                emit(Item::LineTooLong { limit });
                return;
            }
        }
        self.line.extend_from_slice(bytes);
    }

    fn end_line(&mut self, emit: &mut impl FnMut(Item<'_>)) {
        if std::mem::take(&mut self.skipping) {
            return;
        }
        let bytes = std::mem::take(&mut self.line);
        let line = String::from_utf8_lossy(&bytes);
        self.process_line(&line, emit);
        // Keep the allocation for the next line.
        self.line = bytes;
        self.line.clear();
    }

    fn process_line(&mut self, line: &str, emit: &mut impl FnMut(Item<'_>)) {
        if line.is_empty() {
            return self.dispatch(emit);
        }
        if let Some(comment) = line.strip_prefix(':') {
            return emit(Item::Comment(comment.strip_prefix(' ').unwrap_or(comment)));
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.kind),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => value.clone_into(&mut self.last_event_id),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let ms = value.bytes().fold(0u64, |acc, b| {
                    acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
                });
                emit(Item::Retry(ms));
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, emit: &mut impl FnMut(Item<'_>)) {
        if self.data.is_empty() {
            self.kind.clear();
            return;
        }
        self.data.pop();
        let kind = if self.kind.is_empty() { "message" } else { &self.kind };
        emit(Item::Event { kind, data: &self.data, last_event_id: &self.last_event_id });
        self.data.clear();
        self.kind.clear();
    }
}
