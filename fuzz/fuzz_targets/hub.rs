//! Fuzzes the hub's sans-IO protocol: for any method and path, `hub::route` never panics and
//! agrees with a reference router written here from the README's route table (path ids are
//! exactly the strictly percent-decoded segments, `%` must be followed by two hex digits and the
//! bytes must be UTF-8); for any body (each key absent, a string, or another JSON value; payloads
//! arbitrary JSON text or unserializable), `hub::decode` never panics, agrees with a reference
//! decoder, and every command it returns holds the invariants the driver relies on: ids pass
//! `id::check_id`, exactly the verbs that need a listener have one, message verbs carry a valid
//! type and a payload within the size and nesting limits, and a REST command's ids are its
//! route's. A malformed input is an `Err`, never a silently different command.
#![no_main]

use eric_sse::error::Error;
use eric_sse::hub::{decode, route, Command, Field, Fields, Route, Verb, MAX_PAYLOAD_DEPTH};
use eric_sse::id::check_id;
use eric_sse::message::validate_kind;
use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 7] = ["GET", "POST", "DELETE", "PUT", "get", "", "PATCH"];
const SEGMENTS: [&str; 22] = [
    "channels", "command", "listeners", "messages", "events", "", "a", "l1", "%41", "%2F", "%2f",
    "%+1", "%+F", "%-1", "%zz", "%", "%4", "%C3%A9", "%FF", "caf%C3%A9", "%20", "a%25b",
];
const CODES: [&str; 13] = ["d", "b", "c", "r", "rl", "rc", "l", "w", "", "x", "D", "toString", "__proto__"];
const IDS: [&str; 9] = ["room", "l1", "a/b", "", "has space", "caf\u{e9}", "!~", "\u{7f}", "x\0"];
const KINDS: [&str; 6] = ["t", "_eric_channel_closed", "a\nb", "", "\u{e9}", "start"];
const JSON: [&str; 9] = [
    "null", "1", "\"x\"", "{\"a\":[1,2]}", "[]", "\"a\\nb\"",
    // Brackets inside strings, escaped quotes and backslashes: they do not nest.
    "[\"[[[{{\",\"\\\"[[\"]", "{\"}\\\\\":[{}]}", "\"\\\\\"",
];
const KEYS: [&str; 8] = ["v", "c", "r", "t", "p", "id", "type", "payload"];

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    fn pick<'p>(&mut self, pool: &[&'p str]) -> &'p str {
        pool[usize::from(self.byte()) % pool.len()]
    }
    fn raw(&mut self) -> String {
        let take = usize::from(self.byte() % 24).min(self.0.len());
        let (head, rest) = self.0.split_at(take);
        self.0 = rest;
        String::from_utf8_lossy(head).into_owned()
    }
    /// Text from `pool`, arbitrary bytes, or a long id (256 or 257 bytes).
    fn text(&mut self, pool: &[&str]) -> String {
        match self.byte() % 8 {
            0..=4 => self.pick(pool).to_owned(),
            5 | 6 => self.raw(),
            _ => "x".repeat(256 + usize::from(self.byte() & 1)),
        }
    }
}

/// A body as a driver sees it: per key absent, a string, or another JSON value; payload keys
/// hold JSON text, or fail to serialize.
#[derive(Debug)]
struct Body {
    text: Vec<(&'static str, Field)>,
    json: Vec<(&'static str, Result<Option<String>, ()>)>,
}

impl Fields for Body {
    fn text(&self, key: &str) -> Field {
        self.text.iter().find(|(k, _)| *k == key).map_or(Field::Absent, |(_, f)| f.clone())
    }
    fn json(&self, key: &str) -> Result<Option<String>, Error> {
        match self.json.iter().find(|(k, _)| *k == key) {
            None => Ok(None),
            Some((_, Ok(text))) => Ok(text.clone()),
            Some((_, Err(()))) => Err(Error::InvalidMessageFormat { reason: "cannot serialize".into() }),
        }
    }
}

fn body(input: &mut Input) -> Body {
    let mut text = Vec::new();
    let mut json = Vec::new();
    for key in KEYS {
        let pool: &[&str] = match key {
            "v" => &CODES,
            "t" | "type" => &KINDS,
            _ => &IDS,
        };
        let field = match input.byte() % 4 {
            0 => Field::Absent,
            1 | 2 => Field::Text(input.text(pool)),
            _ => Field::Other,
        };
        text.push((key, field));
        let value = match input.byte() % 8 {
            0 => Ok(None),
            1..=3 | 7 => Ok(Some(input.pick(&JSON).to_owned())),
            4 => Ok(Some(format!("\"{}\"", "y".repeat(usize::from(input.byte()))))),
            5 => Err(()),
            _ => Ok(Some(nested(&mut *input))),
        };
        json.push((key, value));
    }
    Body { text, json }
}

/// Arrays and objects nested from four below to three above the depth limit around a value,
/// with strings of brackets on the way.
fn nested(input: &mut Input) -> String {
    let depth = MAX_PAYLOAD_DEPTH - 4 + usize::from(input.byte() % 8);
    let mut open = String::new();
    let mut close = String::new();
    for level in 0..depth {
        if input.byte() % 2 == 0 {
            open.push_str(if level % 5 == 0 { "[\"]]{\"," } else { "[" });
            close.insert(0, ']');
        } else {
            open.push_str("{\"[\":");
            close.insert(0, '}');
        }
    }
    format!("{open}{}{close}", input.pick(&JSON))
}

// ---- the reference router and decoder, written from the README ----

#[derive(Debug, PartialEq)]
struct RefRoute {
    verb: Option<Verb>,
    channel: Option<String>,
    listener: Option<String>,
    body_required: bool,
    reads_body: bool,
}

fn strict_decode(segment: &str) -> Result<String, &'static str> {
    let bytes = segment.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let (Some(&h), Some(&l)) = (bytes.get(i + 1), bytes.get(i + 2)) else { return Err("InvalidMessageFormatError") };
            let hex = |b: u8| (b as char).to_digit(16);
            let (Some(h), Some(l)) = (hex(h), hex(l)) else { return Err("InvalidMessageFormatError") };
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "InvalidMessageFormatError")
}

/// `Err((name, allow))`.
fn ref_route(method: &str, path: &str) -> Result<RefRoute, (&'static str, Option<&'static str>)> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let not_found = Err(("NotFoundError", None));
    let not_allowed = |allow| Err(("MethodNotAllowedError", Some(allow)));
    // (verb, the one method it takes, body: 0 none, 1 optional, 2 required)
    let (verb, method_of, body) = match segs.as_slice() {
        ["command"] if method == "POST" => {
            return Ok(RefRoute { verb: None, channel: None, listener: None, body_required: true, reads_body: true })
        }
        ["command"] => return not_allowed("POST"),
        ["channels"] if method == "GET" => (Verb::ListChannels, "GET", 0),
        ["channels"] if method == "POST" => (Verb::CreateChannel, "POST", 1),
        ["channels"] => return not_allowed("GET, POST"),
        ["channels", _] => (Verb::RemoveChannel, "DELETE", 0),
        ["channels", _, "messages"] => (Verb::Broadcast, "POST", 2),
        ["channels", _, "events"] => (Verb::Watch, "GET", 0),
        ["channels", _, "listeners"] => (Verb::AddListener, "POST", 0),
        ["channels", _, "listeners", _] => (Verb::RemoveListener, "DELETE", 0),
        ["channels", _, "listeners", _, "messages"] => (Verb::Dispatch, "POST", 2),
        ["channels", _, "listeners", _, "events"] => (Verb::Listen, "GET", 0),
        _ => return not_found,
    };
    // Ids are decoded (and refused) before the method is checked.
    let channel = segs.get(1).map(|s| strict_decode(s)).transpose().map_err(|n| (n, None))?;
    let listener = if segs.len() > 3 { segs.get(3).map(|s| strict_decode(s)).transpose().map_err(|n| (n, None))? } else { None };
    if method != method_of {
        return not_allowed(method_of);
    }
    Ok(RefRoute { verb: Some(verb), channel, listener, body_required: body == 2, reads_body: body != 0 })
}

const FORMAT: &str = "InvalidMessageFormatError";

/// How deeply arrays and objects nest in JSON text: the deepest count of open `[`/`{` not yet
/// closed, strings (with their escapes) skipped whole.
fn ref_depth(json: &str) -> usize {
    let mut chars = json.chars();
    let (mut open, mut deepest) = (0usize, 0usize);
    while let Some(c) = chars.next() {
        match c {
            '"' => loop {
                match chars.next() {
                    Some('\\') => {
                        chars.next();
                    }
                    Some('"') | None => break,
                    Some(_) => {}
                }
            },
            '[' | '{' => {
                open += 1;
                deepest = deepest.max(open);
            }
            ']' | '}' => open = open.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn required(field: Field) -> Result<String, &'static str> {
    match field {
        Field::Text(t) if !t.is_empty() => Ok(t),
        _ => Err(FORMAT),
    }
}

fn valid_id(text: String) -> Result<String, &'static str> {
    check_id(&text).map(|()| text).map_err(|_| FORMAT)
}

fn needs_listener(verb: Verb) -> bool {
    matches!(verb, Verb::RemoveListener | Verb::Dispatch | Verb::Listen)
}

fn carries_message(verb: Verb) -> bool {
    matches!(verb, Verb::Dispatch | Verb::Broadcast)
}

fn ref_decode(route: &Route, body: &Body, max: usize) -> Result<Command, &'static str> {
    let controller = route.verb.is_none();
    let verb = match route.verb {
        Some(v) => v,
        None => {
            let code = required(body.text("v"))?;
            Verb::ALL.into_iter().find(|v| v.code() == Some(code.as_str())).ok_or(FORMAT)?
        }
    };
    let (kind_key, payload_key) = if controller { ("t", "p") } else { ("type", "payload") };
    let payload = if carries_message(verb) { body.json(payload_key).map_err(|_| FORMAT)? } else { None };
    let channel = match verb {
        Verb::ListChannels => None,
        Verb::CreateChannel => {
            let field = body.text(if controller { "c" } else { "id" });
            match field {
                Field::Absent => None,
                other => Some(valid_id(required(other)?)?),
            }
        }
        _ => {
            let field = if controller { body.text("c") } else { route.channel.clone().map_or(Field::Absent, Field::Text) };
            Some(valid_id(required(field)?)?)
        }
    };
    let listener = if needs_listener(verb) {
        let field = if controller { body.text("r") } else { route.listener.clone().map_or(Field::Absent, Field::Text) };
        Some(valid_id(required(field)?)?)
    } else {
        None
    };
    let (kind, payload) = if carries_message(verb) {
        let kind = required(body.text(kind_key))?;
        validate_kind(&kind).map_err(|_| FORMAT)?;
        let payload = payload.unwrap_or_else(|| "null".to_owned());
        if payload.len() > max {
            return Err("PayloadTooLargeError");
        }
        if ref_depth(&payload) > MAX_PAYLOAD_DEPTH {
            return Err(FORMAT);
        }
        (Some(kind), Some(payload))
    } else {
        (None, None)
    };
    Ok(Command { verb, channel, listener, kind, payload })
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let method = if input.byte() % 8 == 0 { input.raw() } else { input.pick(&METHODS).to_owned() };
    let mut path = String::new();
    if input.byte() % 4 != 0 {
        path.push('/');
    }
    for i in 0..input.byte() % 7 {
        if i > 0 {
            path.push_str(if input.byte() % 16 == 0 { "//" } else { "/" });
        }
        if input.byte() % 6 == 0 {
            path.push_str(&input.raw());
        } else {
            path.push_str(input.pick(&SEGMENTS));
        }
    }
    let max_payload = match input.byte() % 4 {
        0 => 0,
        1 => usize::from(input.byte()),
        _ => 64 << 10,
    };
    let body = body(&mut input);

    let routed = route(&method, &path);
    let expected = ref_route(&method, &path);
    let route = match (routed, expected) {
        (Ok(got), Ok(want)) => {
            assert_eq!(
                RefRoute { verb: got.verb, channel: got.channel.clone(), listener: got.listener.clone(), body_required: got.body_required, reads_body: got.reads_body },
                want,
                "{method} {path:?}"
            );
            got
        }
        (Err(got), Err((name, allow))) => {
            assert_eq!((got.name(), got.detail()), (name, allow), "{method} {path:?}: {got}");
            // Any route also decodes the controller protocol: run it on POST /command.
            route("POST", "/command").unwrap()
        }
        (got, want) => panic!("{method} {path:?}: route gave {got:?}, the reference {want:?}"),
    };

    let decoded = decode(&route, &body, max_payload);
    match (&decoded, ref_decode(&route, &body, max_payload)) {
        (Ok(got), Ok(want)) => assert_eq!(got, &want, "{route:?} {body:?}"),
        (Err(got), Err(name)) => assert_eq!(got.name(), name, "{route:?} {body:?}: {got}"),
        (got, want) => panic!("{route:?} {body:?}: decode gave {got:?}, the reference {want:?}"),
    }

    // The invariants the driver relies on, checked on the command itself.
    if let Ok(command) = decoded {
        let verb = command.verb;
        match (&command.channel, verb) {
            (None, Verb::ListChannels | Verb::CreateChannel) => {}
            (None, _) => panic!("{verb:?} without a channel"),
            (Some(_), Verb::ListChannels) => panic!("ListChannels with a channel"),
            (Some(c), _) => assert!(check_id(c).is_ok(), "channel id {c:?}"),
        }
        assert_eq!(command.listener.is_some(), needs_listener(verb), "{command:?}");
        if let Some(l) = &command.listener {
            assert!(check_id(l).is_ok(), "listener id {l:?}");
        }
        assert_eq!(command.kind.is_some(), carries_message(verb), "{command:?}");
        assert_eq!(command.payload.is_some(), carries_message(verb), "{command:?}");
        if let (Some(kind), Some(payload)) = (&command.kind, &command.payload) {
            assert!(validate_kind(kind).is_ok(), "type {kind:?}");
            assert!(payload.len() <= max_payload, "payload of {} bytes over {max_payload}", payload.len());
            assert!(ref_depth(payload) <= MAX_PAYLOAD_DEPTH, "payload nested deeper than the limit");
        }
        if route.verb.is_some() {
            assert_eq!(route.verb, Some(verb));
            if verb != Verb::CreateChannel {
                assert_eq!(command.channel, route.channel, "a REST command's channel is its path's");
            }
            if needs_listener(verb) {
                assert_eq!(command.listener, route.listener, "a REST command's listener is its path's");
            }
        }
    }
});
