//! [`Utf16Parser`]: the incremental parser of [`super::Parser`], with the same rules and items, for
//! a JavaScript caller: each chunk yields one UTF-16 text and an index of items whose fields are
//! ranges of that text, so JS makes one string per chunk and each field is a slice of it.
//!
//! Lines are found and data values are transcoded to UTF-16 in one pass over their bytes
//! ([`super::transcode`], SIMD128 in the shipped wasm), straight into the output: the data lines of
//! an event that ends in the chunk lie next to each other in the text, joined by LF, so an event's
//! data is one range. What is not needed as text (field names, `retry`, the id and type buffers)
//! stays bytes, and ids and types are transcoded only when they are handed out.
//!
//! # The index
//!
//! A sequence of `u32` entries, each a tag and its words (ranges are `[start, end)` in the text):
//!
//! | tag | words | item |
//! |---|---|---|
//! | [`tag::EVENT_MESSAGE`] | data start, end | event of type `message` |
//! | [`tag::EVENT_SAME`] | data start, end | event of the type of the last [`tag::EVENT_TYPED`] |
//! | [`tag::EVENT_TYPED`] | data start, end, type start, end | event of a new type (remember it) |
//! | [`tag::ID`] | start, end | the last event ID string changed (it holds for later events) |
//! | [`tag::RETRY`] | low, high 32 bits | `retry` |
//! | [`tag::COMMENT`] | start, end | comment |
//! | [`tag::LINE_TOO_LONG`] | limit low, high | a line over `max_line_bytes` was skipped |
//! | [`tag::EVENT_TOO_LONG`] | limit low, high | an event over `max_event_bytes` was dropped |
//!
//! The reader keeps two things across chunks, as [`Reader`] does: the last id and the last type
//! handed out. The text and the index are scratch, overwritten by the next feed.

use super::parse::{split_field, strip_bom, Item};
use super::transcode::{assign, find_line_end, same, short_events, transcode, transcode_all, Units, BLOCK};

/// The tags of the index (see the module docs).
pub mod tag {
    /// An event of type `message`: data start, end.
    pub const EVENT_MESSAGE: u32 = 1;
    /// An event whose type is the last one handed out with [`EVENT_TYPED`]: data start, end.
    pub const EVENT_SAME: u32 = 2;
    /// An event with its type: data start, end, type start, end.
    pub const EVENT_TYPED: u32 = 3;
    /// The last event ID string changed: start, end.
    pub const ID: u32 = 4;
    /// `retry`: milliseconds, low and high 32 bits.
    pub const RETRY: u32 = 5;
    /// A comment: start, end.
    pub const COMMENT: u32 = 6;
    /// A line over `max_line_bytes` was skipped: the limit, low and high 32 bits.
    pub const LINE_TOO_LONG: u32 = 7;
    /// An event over `max_event_bytes` was dropped: the limit, low and high 32 bits.
    pub const EVENT_TOO_LONG: u32 = 8;
}

/// Output scratch larger than this (in units or words) is freed before the next feed.
const SCRATCH_KEEP: usize = 1 << 20;

/// The incremental parser with UTF-16 output; see the module docs and [`super::Parser`].
#[derive(Debug, Default)]
pub struct Utf16Parser {
    max_line_bytes: Option<usize>,
    max_event_bytes: Option<usize>,
    /// Use the byte-at-a-time transcoder and line search instead of the block (SIMD) ones.
    scalar: bool,
    bom_done: bool,
    /// Bytes of the current, unterminated line.
    line: Vec<u8>,
    after_cr: bool,
    skipping: bool,
    /// The last `event` value: of the block being read when `kind_in_block`, else the last one seen.
    kind: Vec<u8>,
    kind_in_block: bool,
    /// The reader's remembered type is `kind` (it was handed out and has not changed since).
    kind_sent: bool,
    /// The block's id while `id_dirty`; otherwise stale (the id is `last_event_id`: a commit
    /// swaps the two buffers instead of copying).
    id_buffer: Vec<u8>,
    last_event_id: Vec<u8>,
    /// The block's last `id` field set `id_buffer` to an id other than `last_event_id`.
    id_dirty: bool,
    discarding: bool,
    /// The block has data (at least one `data` line).
    has_data: bool,
    /// Bytes of the block's data, counted as [`super::Parser`] counts them (an LF per line).
    data_bytes: usize,
    /// Where the block's data starts in `out` while it is there (it then ends `out`); `None`
    /// while it is in `pending` (begun in an earlier chunk, or moved aside for a comment).
    data_start: Option<usize>,
    /// The block's data as UTF-16, while it is not in `out`.
    pending: Units,
    out: Units,
    index: Vec<u32>,
}

impl Utf16Parser {
    /// A parser with the bounds of [`super::Parser::with_limits`].
    pub fn with_limits(max_line_bytes: Option<usize>, max_event_bytes: Option<usize>) -> Self {
        Utf16Parser { max_line_bytes, max_event_bytes, ..Utf16Parser::default() }
    }

    /// Uses the byte-at-a-time code instead of the block (SIMD128) code: the same results, slower;
    /// for comparing the two.
    pub fn set_scalar(&mut self, scalar: bool) {
        self.scalar = scalar;
    }

    /// The last event ID string, as [`super::Parser::last_event_id`].
    pub fn last_event_id(&self) -> String {
        String::from_utf8_lossy(&self.last_event_id).into_owned()
    }

    /// Sets the last event ID, as [`super::Parser::set_last_event_id`].
    pub fn set_last_event_id(&mut self, id: &str) {
        id.as_bytes().clone_into(&mut self.last_event_id);
        id.as_bytes().clone_into(&mut self.id_buffer);
        self.id_dirty = false;
    }

    /// Starts a new stream, as [`super::Parser::reset`]. The reader's remembered type and id are
    /// still valid afterwards.
    pub fn reset(&mut self) {
        self.bom_done = false;
        self.line = Vec::new();
        self.after_cr = false;
        self.skipping = false;
        self.kind_in_block = false;
        self.last_event_id.clone_into(&mut self.id_buffer);
        self.id_dirty = false;
        self.discarding = false;
        self.has_data = false;
        self.data_bytes = 0;
        self.data_start = None;
        self.pending = Units::default();
        self.out.clear();
        self.index.clear();
    }

    /// Bytes held for the stream between feeds: the partial line, the open event's data (two
    /// bytes a unit) and the type and id buffers; bounded as [`super::Parser::buffered_bytes`].
    /// The output scratch (about two bytes per byte of the last chunk) is not counted.
    pub fn buffered_bytes(&self) -> usize {
        [self.line.capacity(), self.pending.capacity().saturating_mul(2), self.kind.capacity(),
            self.id_buffer.capacity(), self.last_event_id.capacity()]
            .iter()
            .fold(0usize, |sum, n| sum.saturating_add(*n))
    }

    /// The text of the last feed.
    pub fn text(&self) -> &[u16] {
        self.out.as_slice()
    }

    /// The index of the last feed.
    pub fn index(&self) -> &[u32] {
        &self.index
    }

    /// Parses `chunk`; the items it completed are then in [`Utf16Parser::text`] and
    /// [`Utf16Parser::index`] until the next call.
    pub fn feed(&mut self, mut chunk: &[u8]) {
        self.out.clear();
        self.index.clear();
        if self.out.capacity() > SCRATCH_KEEP {
            self.out = Units::default();
        }
        self.out.reserve(chunk.len());
        if self.index.capacity() > SCRATCH_KEEP {
            self.index = Vec::new();
        }
        if !self.bom_done {
            // As `Parser`: a leading BOM, possibly split over chunks, is dropped.
            chunk = strip_bom(&mut self.line, &mut self.bom_done, chunk);
        }
        while self.bom_done && !chunk.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if let Some(rest) = chunk.strip_prefix(b"\n") {
                    chunk = rest;
                    continue;
                }
            }
            if self.line.is_empty() && !self.skipping && (self.data_start.is_some() || !self.has_data) {
                let used = self.run(chunk);
                chunk = chunk.get(used..).unwrap_or_default();
                continue;
            }
            let Some(at) = self.line_across(chunk) else { break };
            self.after_cr = chunk.get(at) == Some(&b'\r');
            chunk = chunk.get(at + 1..).unwrap_or_default();
        }
        // The next feed starts a new text: data of a block still open moves aside.
        self.move_data_aside();
    }

    /// Lines that start in `chunk`, parsed in place while nothing is buffered and the open
    /// block's data is in `out`; the common lines (blank, `data` without limits) inline. Returns
    /// the bytes used (all of them when the rest was buffered).
    fn run(&mut self, chunk: &[u8]) -> usize {
        let unlimited = self.max_line_bytes.is_none() && self.max_event_bytes.is_none();
        let mut at = 0;
        while let Some(&first) = chunk.get(at) {
            let rest = chunk.get(at..).unwrap_or_default();
            let end = if first == b'\n' || first == b'\r' {
                self.blank();
                0
            } else if unlimited && !self.discarding && rest.starts_with(b"data:") {
                if !self.scalar && !self.has_data && !self.id_dirty && !self.kind_in_block {
                    // Many tiny events cost little more than their bytes.
                    let used = short_events(rest, &mut self.out, &mut self.index, tag::EVENT_MESSAGE);
                    if used > 0 {
                        at += used;
                        continue;
                    }
                }
                let value_at = if rest.get(5) == Some(&b' ') { 6 } else { 5 };
                let mark = self.out.len();
                if self.has_data {
                    self.out.push(u16::from(b'\n'));
                }
                let Some(length) = transcode(rest.get(value_at..).unwrap_or_default(), &mut self.out, self.scalar) else {
                    self.out.truncate(mark);
                    self.buffer(rest);
                    return chunk.len();
                };
                // The commonest event, a block of one data line (LF, LF) with no id or type: handed
                // out at once, without going round again for its blank line.
                let line_end = at + value_at + length;
                if !self.has_data
                    && !self.id_dirty
                    && !self.kind_in_block
                    && chunk.get(line_end..line_end + 2) == Some(b"\n\n".as_slice())
                {
                    self.range(tag::EVENT_MESSAGE, mark);
                    at = line_end + 2;
                    continue;
                }
                if !self.has_data {
                    self.has_data = true;
                    self.data_start = Some(mark);
                }
                // (No `data_bytes`: it only counts toward `max_event_bytes`, unset here.)
                value_at + length
            } else {
                match self.line_in_place(rest) {
                    Some(end) => end,
                    None => return chunk.len(),
                }
            };
            let line_end = at + end;
            at = line_end + 1;
            if chunk.get(line_end) == Some(&b'\r') {
                match chunk.get(at) {
                    Some(b'\n') => at += 1,
                    Some(_) => {}
                    None => {
                        self.after_cr = true;
                        return at;
                    }
                }
            }
            if self.data_start.is_none() && self.has_data {
                break;
            }
        }
        at
    }

    /// A blank line: the common case (data in `out`, no new id, no type) inline.
    #[inline(always)]
    fn blank(&mut self) {
        match self.data_start {
            Some(start) if !self.id_dirty && !self.kind_in_block => {
                self.range(tag::EVENT_MESSAGE, start);
                self.has_data = false;
                self.data_start = None;
                self.data_bytes = 0;
            }
            _ => self.dispatch(),
        }
    }

    /// A line that starts here, nothing of it buffered: parsed in place. Returns where it ends,
    /// or buffers the rest of the chunk and returns `None`.
    #[inline(always)]
    fn line_in_place(&mut self, rest: &[u8]) -> Option<usize> {
        let value_at = match rest {
            [b'\n' | b'\r', ..] => {
                self.dispatch();
                return Some(0);
            }
            [b'i', b'd', b':', ..] => return self.field_in_place(rest, 3, Self::set_id),
            [b'e', b'v', b'e', b'n', b't', b':', ..] => return self.field_in_place(rest, 6, Self::set_kind),
            _ if self.discarding => 0,
            [b'd', b'a', b't', b'a', b':', b' ', ..] => 6,
            [b'd', b'a', b't', b'a', b':', ..] => 5,
            _ => 0,
        };
        if value_at == 0 {
            let Some(at) = find_line_end(rest, self.scalar) else {
                self.buffer(rest);
                return None;
            };
            let line = rest.get(..at).unwrap_or_default();
            match self.over_limit(at) {
                Some(limit) => self.entry(tag::LINE_TOO_LONG, limit as u64),
                None => self.process_line(line),
            }
            return Some(at);
        }
        // A data line: transcode its value where it belongs, finding its end on the way.
        let mark = self.out.len();
        if self.has_data {
            self.out.push(u16::from(b'\n'));
        }
        let value = rest.get(value_at..).unwrap_or_default();
        let Some(length) = transcode(value, &mut self.out, self.scalar) else {
            self.out.truncate(mark);
            self.buffer(rest);
            return None;
        };
        let at = value_at + length;
        if let Some(limit) = self.over_limit(at) {
            self.out.truncate(mark);
            self.entry(tag::LINE_TOO_LONG, limit as u64);
            return Some(at);
        }
        let size = self.data_bytes.saturating_add(length);
        if let Some(limit) = self.max_event_bytes.filter(|limit| size > *limit) {
            self.out.truncate(mark);
            self.drop_data(limit);
            return Some(at);
        }
        if !self.has_data {
            self.has_data = true;
            self.data_start = Some(mark);
        }
        self.data_bytes = size.saturating_add(1);
        Some(at)
    }

    /// A line whose field name (and colon) is the first `colon_end` bytes of `rest`: its value is
    /// found and handed to `apply`. Returns where the line ends, or buffers the rest and returns
    /// `None`.
    fn field_in_place(&mut self, rest: &[u8], colon_end: usize, apply: impl FnOnce(&mut Self, &[u8])) -> Option<usize> {
        let value_at = if rest.get(colon_end) == Some(&b' ') { colon_end + 1 } else { colon_end };
        let value_and_more = rest.get(value_at..).unwrap_or_default();
        let Some(length) = find_line_end(value_and_more, self.scalar) else {
            self.buffer(rest);
            return None;
        };
        let at = value_at + length;
        match self.over_limit(at) {
            Some(limit) => self.entry(tag::LINE_TOO_LONG, limit as u64),
            None => apply(self, value_and_more.get(..length).unwrap_or_default()),
        }
        Some(at)
    }

    #[allow(clippy::manual_contains)] // a loop over a few bytes, not a call to memchr
    fn set_id(&mut self, value: &[u8]) {
        if value.iter().any(|&b| b == 0) {
            return;
        }
        // Compared with the id in force, so that the commit need not compare again.
        self.id_dirty = !same(value, &self.last_event_id);
        if self.id_dirty {
            assign(&mut self.id_buffer, value);
        }
    }

    fn set_kind(&mut self, value: &[u8]) {
        if !same(value, &self.kind) {
            assign(&mut self.kind, value);
            self.kind_sent = false;
        }
        self.kind_in_block = true;
    }

    /// A line that continues a buffered one, or whose block's data is aside: found first, then
    /// parsed from the bytes. Returns where it ends, or buffers the rest and returns `None`.
    fn line_across(&mut self, rest: &[u8]) -> Option<usize> {
        let Some(at) = find_line_end(rest, self.scalar) else {
            self.buffer(rest);
            return None;
        };
        let head = rest.get(..at).unwrap_or_default();
        if self.line.is_empty() && !self.skipping {
            match self.over_limit(at) {
                Some(limit) => self.entry(tag::LINE_TOO_LONG, limit as u64),
                None => self.process_line(head),
            }
        } else {
            self.buffer(head);
            self.end_line();
        }
        Some(at)
    }


    fn buffer(&mut self, bytes: &[u8]) {
        if self.skipping {
            return;
        }
        if let Some(limit) = self.over_limit(bytes.len()) {
            self.line.clear();
            self.skipping = true;
            self.entry(tag::LINE_TOO_LONG, limit as u64);
            return;
        }
        self.line.extend_from_slice(bytes);
    }

    fn over_limit(&self, more: usize) -> Option<usize> {
        self.max_line_bytes.filter(|limit| self.line.len().saturating_add(more) > *limit)
    }

    fn end_line(&mut self) {
        if std::mem::take(&mut self.skipping) {
            return;
        }
        let line = std::mem::take(&mut self.line);
        self.process_line(&line);
        self.line = line;
        self.line.clear();
    }

    fn process_line(&mut self, line: &[u8]) {
        if line.is_empty() {
            return self.dispatch();
        }
        if let Some(comment) = line.strip_prefix(b":") {
            return self.comment(comment.strip_prefix(b" ").unwrap_or(comment));
        }
        let (field, value) = split_field(line);
        match field {
            b"event" => self.set_kind(value),
            b"data" => self.append_data(value),
            b"id" => self.set_id(value),
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |acc, b| {
                    acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
                });
                self.entry(tag::RETRY, ms);
            }
            _ => {}
        }
    }

    fn comment(&mut self, text: &[u8]) {
        // The open block's data must stay one range: it moves aside before anything else is written.
        self.move_data_aside();
        let start = self.out.len();
        transcode_all(text, &mut self.out, self.scalar);
        self.range(tag::COMMENT, start);
    }

    fn append_data(&mut self, value: &[u8]) {
        if self.discarding {
            return;
        }
        let size = self.data_bytes.saturating_add(value.len());
        if let Some(limit) = self.max_event_bytes.filter(|limit| size > *limit) {
            return self.drop_data(limit);
        }
        if !self.has_data {
            self.has_data = true;
            self.data_start = Some(self.out.len());
            transcode_all(value, &mut self.out, self.scalar);
        } else if self.data_start.is_some() {
            self.out.push(u16::from(b'\n'));
            transcode_all(value, &mut self.out, self.scalar);
        } else {
            self.pending.reserve_capped(value.len() + 1, self.pending_cap());
            self.pending.push(u16::from(b'\n'));
            transcode_all(value, &mut self.pending, self.scalar);
        }
        self.data_bytes = size.saturating_add(1);
    }

    /// The event is over `max_event_bytes`: its data goes, and the rest of its data lines too.
    fn drop_data(&mut self, limit: usize) {
        if let Some(start) = self.data_start.take() {
            self.out.truncate(start);
        }
        self.pending = Units::default();
        self.has_data = false;
        self.data_bytes = 0;
        self.discarding = true;
        self.entry(tag::EVENT_TOO_LONG, limit as u64);
    }

    /// The most units `pending` grows to by doubling: what `max_event_bytes` allows, so that what
    /// the parser holds stays bounded.
    fn pending_cap(&self) -> Option<usize> {
        self.max_event_bytes.map(|limit| limit.saturating_add(1 + BLOCK))
    }

    /// Moves the open block's data from `out` to `pending`.
    fn move_data_aside(&mut self) {
        if let Some(start) = self.data_start.take() {
            let data = self.out.as_slice().get(start..).unwrap_or_default();
            self.pending.reserve_capped(data.len(), self.pending_cap());
            self.pending.extend_from_slice(data);
            self.out.truncate(start);
        }
    }

    /// The blank line: commits the id buffer, then hands out the event if the block had data.
    fn dispatch(&mut self) {
        let data = if self.has_data {
            let start = match self.data_start.take() {
                Some(start) => start,
                None => {
                    let start = self.out.len();
                    self.out.extend_from_slice(self.pending.as_slice());
                    self.pending.clear();
                    start
                }
            };
            Some((start, self.out.len()))
        } else {
            None
        };
        if std::mem::take(&mut self.id_dirty) {
            std::mem::swap(&mut self.last_event_id, &mut self.id_buffer);
            let start = self.out.len();
            transcode_all(&self.last_event_id, &mut self.out, self.scalar);
            self.range(tag::ID, start);
        }
        if let Some((start, end)) = data {
            if !self.kind_in_block || self.kind.is_empty() {
                self.index.extend_from_slice(&[tag::EVENT_MESSAGE, start as u32, end as u32]);
            } else if self.kind_sent {
                self.index.extend_from_slice(&[tag::EVENT_SAME, start as u32, end as u32]);
            } else {
                let kind_start = self.out.len();
                transcode_all(&self.kind, &mut self.out, self.scalar);
                let kind_end = self.out.len();
                self.index.extend_from_slice(&[tag::EVENT_TYPED, start as u32, end as u32, kind_start as u32, kind_end as u32]);
                self.kind_sent = true;
            }
        }
        self.has_data = false;
        self.data_bytes = 0;
        self.discarding = false;
        self.kind_in_block = false;
    }

    /// An item whose range runs from `start` to the end of the text so far.
    #[inline(always)]
    fn range(&mut self, tag: u32, start: usize) {
        let end = self.out.len();
        self.index.extend_from_slice(&[tag, start as u32, end as u32]);
    }

    fn entry(&mut self, tag: u32, value: u64) {
        self.index.extend_from_slice(&[tag, value as u32, (value >> 32) as u32]);
    }
}

/// Reads a feed's text and index back into [`Item`]s, keeping what a reader keeps across chunks
/// (the last id and the last type handed out): what `js/parser.js` does, for tests in Rust.
#[derive(Debug, Default)]
pub struct Reader {
    id: String,
    kind: String,
}

impl Reader {
    /// A reader for a stream whose last event ID is `id`.
    pub fn with_last_event_id(id: &str) -> Self {
        Reader { id: id.to_owned(), kind: String::new() }
    }

    /// The id a client already knows (`Utf16Parser::set_last_event_id` was given it).
    pub fn set_last_event_id(&mut self, id: &str) {
        id.clone_into(&mut self.id);
    }

    /// Calls `emit` with each item of the parser's last feed.
    pub fn read(&mut self, parser: &Utf16Parser, emit: &mut impl FnMut(Item<'_>)) {
        let text = parser.text();
        let slice = |start: u32, end: u32| {
            String::from_utf16_lossy(text.get(start as usize..end as usize).unwrap_or_default())
        };
        let mut index = parser.index();
        while let [tag, a, b, rest @ ..] = index {
            index = rest;
            match *tag {
                tag::EVENT_MESSAGE | tag::EVENT_SAME | tag::EVENT_TYPED => {
                    if *tag == tag::EVENT_TYPED {
                        let [start, end, rest @ ..] = index else { return };
                        index = rest;
                        self.kind = slice(*start, *end);
                    }
                    let kind = if *tag == tag::EVENT_MESSAGE { "message" } else { &self.kind };
                    emit(Item::Event { kind, data: &slice(*a, *b), last_event_id: &self.id });
                }
                tag::ID => {
                    self.id = slice(*a, *b);
                    emit(Item::LastEventId(&self.id));
                }
                tag::COMMENT => emit(Item::Comment(&slice(*a, *b))),
                _ => {
                    let value = u64::from(*a) | u64::from(*b) << 32;
                    match *tag {
                        tag::RETRY => emit(Item::Retry(value)),
                        tag::LINE_TOO_LONG => emit(Item::LineTooLong { limit: value as usize }),
                        _ => emit(Item::EventTooLong { limit: value as usize }),
                    }
                }
            }
        }
    }
}
