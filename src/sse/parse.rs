//! An incremental SSE parser that follows the WHATWG "interpreting an event stream" rules over
//! any chunking: feed bytes as they arrive, receive events, retries, comments and errors.
//!
//! The parser works on bytes: CR, LF, `:`, space and NUL are ASCII, and the UTF-8 decoder never
//! absorbs an ASCII byte into an invalid sequence (it emits U+FFFD and reads the byte again), so
//! splitting lines and fields on bytes gives what splitting the decoded text gives. Fields are
//! decoded afterwards — [`Parser::feed`] decodes each with replacement characters as the spec's
//! decoder does; [`Parser::feed_bytes`] hands out the raw bytes for a caller that decodes in bulk
//! (the JS binding uses `TextDecoder`). A sequence split across chunks is joined, each byte is
//! scanned once however the input is chunked, one leading BOM is dropped, and a CR at the end of
//! one chunk with an LF at the start of the next make one line end.
//!
//! Two ids, as in the spec: an `id` field sets the *last event ID buffer* of the block being read;
//! the blank line that ends the block commits it as the *last event ID string* (whether or not the
//! block dispatches an event). Only the committed id is what a client resumes from: a stream cut
//! between `id:` and the blank line has not delivered that event, so its id must not count.
//!
//! Memory is bounded when both limits are set: a line never holds more than `max_line_bytes`, the
//! event being built never holds more than `max_event_bytes` of data, and the type and id buffers
//! hold one line's value each.

use std::borrow::Cow;

/// One thing the parser found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// A dispatched event, with MessageEvent semantics: `kind` defaults to `message`, and
    /// `last_event_id` is the stream's last event ID string (the id committed with this event).
    Event {
        /// The event type.
        kind: &'a str,
        /// The data lines joined with LF.
        data: &'a str,
        /// The last event ID string at dispatch.
        last_event_id: &'a str,
    },
    /// The last event ID string changed: a block ended with a different id in its buffer. Comes
    /// before that block's [`Item::Event`], if it has one (a block without data still commits
    /// its id).
    LastEventId(&'a str),
    /// A `retry:` field made of ASCII digits only (milliseconds; saturates at `u64::MAX`).
    Retry(u64),
    /// A comment line's text (after the `:` and one optional space).
    Comment(&'a str),
    /// A line longer than `max_line_bytes`: it was skipped up to its end.
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// The data of the event being read passed `max_event_bytes`: its data was dropped and the
    /// rest of its block is read without keeping data; no event is dispatched for it (its id,
    /// if any, still counts at the blank line).
    EventTooLong {
        /// The limit.
        limit: usize,
    },
}

/// [`Item`] before decoding: the fields as the stream's raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawItem<'a> {
    /// [`Item::Event`]
    Event {
        /// The event type.
        kind: &'a [u8],
        /// The data lines joined with LF.
        data: &'a [u8],
        /// The last event ID string at dispatch.
        last_event_id: &'a [u8],
    },
    /// [`Item::LastEventId`]
    LastEventId(&'a [u8]),
    /// [`Item::Retry`]
    Retry(u64),
    /// [`Item::Comment`]
    Comment(&'a [u8]),
    /// [`Item::LineTooLong`]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// [`Item::EventTooLong`]
    EventTooLong {
        /// The limit.
        limit: usize,
    },
}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// A field line's name and value: the value starts after the first colon, less one leading
/// space; a line without a colon is a name with an empty value. Shared by both parsers.
pub(crate) fn split_field(line: &[u8]) -> (&[u8], &[u8]) {
    match line.iter().position(|&b| b == b':') {
        Some(at) => {
            let (field, rest) = line.split_at(at);
            let value = rest.get(1..).unwrap_or_default();
            (field, value.strip_prefix(b" ").unwrap_or(value))
        }
        None => (line, &[][..]),
    }
}

/// Consumes the bytes of a leading BOM (possibly split over chunks) into `line`; bytes that turn
/// out not to be one stay in `line` as ordinary data. Sets `done` once the question is settled.
/// Shared by both parsers (`Parser`, and `Utf16Parser` in `parse16.rs`).
pub(crate) fn strip_bom<'c>(line: &mut Vec<u8>, done: &mut bool, mut chunk: &'c [u8]) -> &'c [u8] {
    while let Some((&byte, rest)) = chunk.split_first() {
        if BOM.get(line.len()) != Some(&byte) {
            *done = true;
            return chunk;
        }
        line.push(byte);
        chunk = rest;
        if line.len() == BOM.len() {
            line.clear();
            *done = true;
            return chunk;
        }
    }
    chunk
}
const MESSAGE: &[u8] = b"message";

/// The incremental parser: feed chunks as they arrive, in any sizes; see the module docs.
#[derive(Debug, Default)]
pub struct Parser {
    max_line_bytes: Option<usize>,
    max_event_bytes: Option<usize>,
    bom_done: bool,
    /// Bytes of the current, unterminated line.
    line: Vec<u8>,
    /// The last line ended with CR: an LF right after it belongs to that line end.
    after_cr: bool,
    /// The current line passed `max_line_bytes` and is being skipped.
    skipping: bool,
    data: Vec<u8>,
    kind: Vec<u8>,
    /// The last event ID buffer: set by `id` fields of the block being read.
    id_buffer: Vec<u8>,
    /// The last event ID string: the buffer as committed by the last blank line.
    last_event_id: Vec<u8>,
    /// The event being read passed `max_event_bytes`: data lines are dropped until its end.
    discarding: bool,
}

impl Parser {
    /// A parser without limits (what an untrusted stream can make it hold is then unbounded:
    /// prefer [`Parser::with_limits`]).
    pub fn new() -> Self {
        Parser::default()
    }

    /// A parser that reports [`Item::LineTooLong`] and skips a line instead of buffering more
    /// than `limit` bytes of it.
    pub fn with_max_line_bytes(limit: usize) -> Self {
        Parser::with_limits(Some(limit), None)
    }

    /// A parser with both bounds: lines over `max_line_bytes` are skipped
    /// ([`Item::LineTooLong`]), events whose data passes `max_event_bytes` are dropped
    /// ([`Item::EventTooLong`]). With both set, what the parser holds is bounded.
    pub fn with_limits(max_line_bytes: Option<usize>, max_event_bytes: Option<usize>) -> Self {
        Parser { max_line_bytes, max_event_bytes, ..Parser::default() }
    }

    /// The last event ID string: the id committed by the last block that ended (persists across
    /// events and across [`Parser::reset`]). An `id` field of a block that has not ended yet does
    /// not count.
    pub fn last_event_id(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.last_event_id)
    }

    /// Sets the last event ID (string and buffer), as a client does with an id it already knows.
    pub fn set_last_event_id(&mut self, id: &str) {
        id.as_bytes().clone_into(&mut self.last_event_id);
        id.as_bytes().clone_into(&mut self.id_buffer);
    }

    /// Starts a new stream (as after a reconnection): drops the partial line and the block being
    /// read — its `id` included — and expects a BOM again. The last event ID string is kept and
    /// seeds the new stream's id buffer, as browsers' EventSource do, so a block without `id`
    /// keeps the id in force.
    pub fn reset(&mut self) {
        let last_event_id = std::mem::take(&mut self.last_event_id);
        *self = Parser {
            max_line_bytes: self.max_line_bytes,
            max_event_bytes: self.max_event_bytes,
            id_buffer: last_event_id.clone(),
            last_event_id,
            ..Parser::default()
        };
    }

    /// Bytes the parser holds now (allocated for the partial line, the event being built and the
    /// id and type buffers). Bounded by about twice `max_line_bytes` × 4 plus `max_event_bytes`
    /// when both limits are set.
    pub fn buffered_bytes(&self) -> usize {
        [&self.line, &self.data, &self.kind, &self.id_buffer, &self.last_event_id]
            .iter()
            .fold(0usize, |sum, buffer| sum.saturating_add(buffer.capacity()))
    }

    /// Parses `chunk`, calling `emit` for each item in stream order, fields decoded.
    pub fn feed(&mut self, chunk: &[u8], emit: &mut impl FnMut(Item<'_>)) {
        self.feed_bytes(chunk, &mut |item| match item {
            RawItem::Event { kind, data, last_event_id } => emit(Item::Event {
                kind: &String::from_utf8_lossy(kind),
                data: &String::from_utf8_lossy(data),
                last_event_id: &String::from_utf8_lossy(last_event_id),
            }),
            RawItem::LastEventId(id) => emit(Item::LastEventId(&String::from_utf8_lossy(id))),
            RawItem::Retry(ms) => emit(Item::Retry(ms)),
            RawItem::Comment(text) => emit(Item::Comment(&String::from_utf8_lossy(text))),
            RawItem::LineTooLong { limit } => emit(Item::LineTooLong { limit }),
            RawItem::EventTooLong { limit } => emit(Item::EventTooLong { limit }),
        });
    }

    /// Parses `chunk`, calling `emit` with each item's fields as raw bytes (decode them with a
    /// replacing UTF-8 decoder; any bulk decode of several fields gives the same text).
    pub fn feed_bytes(&mut self, mut chunk: &[u8], emit: &mut impl FnMut(RawItem<'_>)) {
        if !self.bom_done {
            chunk = strip_bom(&mut self.line, &mut self.bom_done, chunk);
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
            match find_line_end(chunk) {
                None => {
                    self.buffer(chunk, emit);
                    return;
                }
                Some(at) => {
                    let (head, tail) = chunk.split_at(at);
                    self.after_cr = tail.first() == Some(&b'\r');
                    chunk = tail.get(1..).unwrap_or_default();
                    if self.line.is_empty() && !self.skipping {
                        // The whole line is in this chunk: parse it in place, no copy.
                        match self.over_limit(head.len()) {
                            Some(limit) => emit(RawItem::LineTooLong { limit }),
                            None => self.process_line(head, emit),
                        }
                    } else {
                        self.buffer(head, emit);
                        self.end_line(emit);
                    }
                }
            }
        }
    }


    fn buffer(&mut self, bytes: &[u8], emit: &mut impl FnMut(RawItem<'_>)) {
        if self.skipping {
            return;
        }
        if let Some(limit) = self.over_limit(bytes.len()) {
            self.line.clear();
            self.skipping = true;
            emit(RawItem::LineTooLong { limit });
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    /// The limit, when `more` bytes would take the current line past `max_line_bytes`.
    fn over_limit(&self, more: usize) -> Option<usize> {
        self.max_line_bytes.filter(|limit| self.line.len().saturating_add(more) > *limit)
    }

    fn end_line(&mut self, emit: &mut impl FnMut(RawItem<'_>)) {
        if std::mem::take(&mut self.skipping) {
            return;
        }
        let line = std::mem::take(&mut self.line);
        self.process_line(&line, emit);
        // Keep the allocation for the next line.
        self.line = line;
        self.line.clear();
    }

    fn process_line(&mut self, line: &[u8], emit: &mut impl FnMut(RawItem<'_>)) {
        if line.is_empty() {
            return self.dispatch(emit);
        }
        if let Some(comment) = line.strip_prefix(b":") {
            return emit(RawItem::Comment(comment.strip_prefix(b" ").unwrap_or(comment)));
        }
        let (field, value) = split_field(line);
        match field {
            b"event" => value.clone_into(&mut self.kind),
            b"data" => self.append_data(value, emit),
            b"id" if !value.contains(&0) => value.clone_into(&mut self.id_buffer),
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |acc, b| {
                    acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
                });
                emit(RawItem::Retry(ms));
            }
            _ => {}
        }
    }

    /// Appends a data line, unless the event would pass `max_event_bytes`: then the event's data
    /// is dropped, reported once, and the rest of its data lines are skipped.
    fn append_data(&mut self, value: &[u8], emit: &mut impl FnMut(RawItem<'_>)) {
        if self.discarding {
            return;
        }
        // `data` holds an LF after each line, so this is the event's size if this line is last.
        let size = self.data.len().saturating_add(value.len());
        if let Some(limit) = self.max_event_bytes.filter(|limit| size > *limit) {
            self.data = Vec::new();
            self.discarding = true;
            return emit(RawItem::EventTooLong { limit });
        }
        self.data.extend_from_slice(value);
        self.data.push(b'\n');
    }

    /// The blank line: commits the id buffer (spec: "set the last event ID string"), then
    /// dispatches the event if the block had data.
    fn dispatch(&mut self, emit: &mut impl FnMut(RawItem<'_>)) {
        if self.id_buffer != self.last_event_id {
            self.last_event_id.clone_from(&self.id_buffer);
            emit(RawItem::LastEventId(&self.last_event_id));
        }
        if std::mem::take(&mut self.discarding) || self.data.is_empty() {
            self.data.clear();
            self.kind.clear();
            return;
        }
        self.data.pop();
        let kind = if self.kind.is_empty() { MESSAGE } else { &self.kind };
        emit(RawItem::Event { kind, data: &self.data, last_event_id: &self.last_event_id });
        self.data.clear();
        self.kind.clear();
    }
}

/// Position of the first CR or LF, reading eight bytes at a time.
#[inline]
pub(super) fn find_line_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_byte = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGHS != 0
    };
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let value = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        if has_byte(value, b'\n') || has_byte(value, b'\r') {
            break;
        }
        offset += 8;
    }
    bytes.get(offset..)?.iter().position(|&b| b == b'\n' || b == b'\r').map(|at| offset + at)
}
