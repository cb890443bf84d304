//! The one command value behind every hub entry, and its decoder.

use crate::error::Error;
use crate::hub::Route;
use crate::id::check_id;
use crate::message::validate_kind;

/// The deepest nesting of arrays and objects a hub payload may have: the same limit in every
/// runtime (their JSON serializers give up at different depths), and well inside what any
/// client's parser handles.
pub const MAX_PAYLOAD_DEPTH: usize = 64;

/// What a command does. Each verb has the action name `authorize` sees and, for eric-sse's
/// controller protocol, its one- or two-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `GET /channels`
    ListChannels,
    /// `c`, `POST /channels`
    CreateChannel,
    /// `rc`, `DELETE /channels/:c`
    RemoveChannel,
    /// `r`, `POST /channels/:c/listeners`
    AddListener,
    /// `rl`, `DELETE /channels/:c/listeners/:l`
    RemoveListener,
    /// `d`, `POST /channels/:c/listeners/:l/messages`
    Dispatch,
    /// `b`, `POST /channels/:c/messages`
    Broadcast,
    /// `l`, `GET /channels/:c/listeners/:l/events`
    Listen,
    /// `w`, `GET /channels/:c/events`
    Watch,
}

impl Verb {
    /// Every verb.
    pub const ALL: [Verb; 9] = [
        Verb::ListChannels,
        Verb::CreateChannel,
        Verb::RemoveChannel,
        Verb::AddListener,
        Verb::RemoveListener,
        Verb::Dispatch,
        Verb::Broadcast,
        Verb::Listen,
        Verb::Watch,
    ];

    /// The action name `authorize(request, { action })` receives.
    pub fn action(self) -> &'static str {
        match self {
            Verb::ListChannels => "listChannels",
            Verb::CreateChannel => "createChannel",
            Verb::RemoveChannel => "removeChannel",
            Verb::AddListener => "addListener",
            Verb::RemoveListener => "removeListener",
            Verb::Dispatch => "dispatch",
            Verb::Broadcast => "broadcast",
            Verb::Listen => "listen",
            Verb::Watch => "watch",
        }
    }

    /// The controller protocol's code for this verb (none for `ListChannels`).
    pub fn code(self) -> Option<&'static str> {
        match self {
            Verb::ListChannels => None,
            Verb::CreateChannel => Some("c"),
            Verb::RemoveChannel => Some("rc"),
            Verb::AddListener => Some("r"),
            Verb::RemoveListener => Some("rl"),
            Verb::Dispatch => Some("d"),
            Verb::Broadcast => Some("b"),
            Verb::Listen => Some("l"),
            Verb::Watch => Some("w"),
        }
    }

    /// The verb whose controller code is exactly `code`.
    pub fn from_code(code: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|v| v.code() == Some(code))
    }

    fn needs_listener(self) -> bool {
        matches!(self, Verb::RemoveListener | Verb::Dispatch | Verb::Listen)
    }

    fn carries_message(self) -> bool {
        matches!(self, Verb::Dispatch | Verb::Broadcast)
    }
}

/// A body field as the driver found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// Not there (or `undefined`).
    Absent,
    /// A string.
    Text(String),
    /// Anything else (a number, an object, `null`, …).
    Other,
}

/// A command body: the driver's parsed JSON object (or port message).
pub trait Fields {
    /// The field `key` as text.
    fn text(&self, key: &str) -> Field;
    /// The JSON text of the field `key`; `None` when absent.
    ///
    /// # Errors
    /// [`Error::InvalidMessageFormat`] when the value cannot be serialized.
    fn json(&self, key: &str) -> Result<Option<String>, Error>;
}

/// A decoded, checked command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// What to do.
    pub verb: Verb,
    /// The channel id (absent only for `ListChannels`, and for `CreateChannel` without an id).
    pub channel: Option<String>,
    /// The listener id, for the verbs that name one.
    pub listener: Option<String>,
    /// The message type, for `Dispatch` and `Broadcast`.
    pub kind: Option<String>,
    /// The payload's JSON text (`null` when none was given), for `Dispatch` and `Broadcast`.
    pub payload: Option<String>,
}

/// Decodes the command `route` and `body` make: a REST route with the ids from its path and
/// `id`/`type`/`payload` from its body, or (`POST /command`, a port) the controller keys `v`,
/// `c`, `r`, `t`, `p`.
///
/// # Errors
/// [`Error::InvalidMessageFormat`] for a missing or non-string key, an unknown verb, a
/// malformed id or a refused message type; [`Error::PayloadTooLarge`] for a payload over
/// `max_payload` bytes.
pub fn decode(route: &Route, body: &dyn Fields, max_payload: usize) -> Result<Command, Error> {
    let (verb, channel, listener, kind, payload) = match route.verb {
        None => {
            let code = required(body.text("v"), "v")?;
            let verb = Verb::from_code(&code).ok_or_else(|| unknown_verb(&code))?;
            let kind = if verb.carries_message() { body.text("t") } else { Field::Absent };
            let payload = if verb.carries_message() { body.json("p")? } else { None };
            (verb, body.text("c"), body.text("r"), kind, payload)
        }
        Some(verb) => {
            let channel = match verb {
                Verb::CreateChannel => body.text("id"),
                _ => route.channel.clone().map_or(Field::Absent, Field::Text),
            };
            let listener = route.listener.clone().map_or(Field::Absent, Field::Text);
            let (kind, payload) = if verb.carries_message() {
                (body.text("type"), body.json("payload")?)
            } else {
                (Field::Absent, None)
            };
            (verb, channel, listener, kind, payload)
        }
    };
    let channel_key = if route.verb.is_some() && verb == Verb::CreateChannel { "id" } else { "c" };
    let channel = match verb {
        Verb::ListChannels => None,
        Verb::CreateChannel => optional(channel, channel_key)?.map(|c| id(c, "channel")).transpose()?,
        _ => Some(id(required(channel, channel_key)?, "channel")?),
    };
    let listener = if verb.needs_listener() { Some(id(required(listener, "r")?, "listener")?) } else { None };
    let (kind, payload) = if verb.carries_message() {
        let kind = required(kind, if route.verb.is_some() { "type" } else { "t" })?;
        validate_kind(&kind)?;
        let payload = payload.unwrap_or_else(|| String::from("null"));
        if payload.len() > max_payload {
            return Err(Error::PayloadTooLarge { limit: max_payload });
        }
        if json_depth(&payload) > MAX_PAYLOAD_DEPTH {
            return Err(Error::format("the payload nests arrays and objects more than 64 levels deep"));
        }
        (Some(kind), Some(payload))
    } else {
        (None, None)
    };
    Ok(Command { verb, channel, listener, kind, payload })
}

/// The deepest nesting of `[` and `{` in JSON text (brackets inside strings do not count).
fn json_depth(json: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for byte in json.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn required(field: Field, key: &str) -> Result<String, Error> {
    match field {
        Field::Text(text) if !text.is_empty() => Ok(text),
        Field::Text(_) | Field::Absent => Err(key_error("missing \"", key, "\"")),
        Field::Other => Err(key_error("\"", key, "\" must be a string")),
    }
}

fn optional(field: Field, key: &str) -> Result<Option<String>, Error> {
    match field {
        Field::Absent => Ok(None),
        other => required(other, key).map(Some),
    }
}

fn id(text: String, what: &str) -> Result<String, Error> {
    check_id(&text).map_err(|why| key_error(what, " id: ", why))?;
    Ok(text)
}

fn key_error(before: &str, key: &str, after: &str) -> Error {
    let mut reason = String::from(before);
    reason.push_str(key);
    reason.push_str(after);
    Error::InvalidMessageFormat { reason }
}

fn unknown_verb(code: &str) -> Error {
    let mut reason = String::from("unknown verb \"");
    reason.extend(code.chars().take(32));
    reason.push_str("\" (d, b, c, r, rl, rc, l, w)");
    Error::InvalidMessageFormat { reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::route;
    use std::collections::HashMap;

    struct Body(HashMap<&'static str, Field>, Option<&'static str>);

    impl Fields for Body {
        fn text(&self, key: &str) -> Field {
            self.0.get(key).cloned().unwrap_or(Field::Absent)
        }
        fn json(&self, key: &str) -> Result<Option<String>, Error> {
            Ok(if key == "p" || key == "payload" { self.1.map(String::from) } else { None })
        }
    }

    fn body(pairs: &[(&'static str, &str)], payload: Option<&'static str>) -> Body {
        Body(pairs.iter().map(|(k, v)| (*k, Field::Text((*v).into()))).collect(), payload)
    }

    fn command(pairs: &[(&'static str, &str)]) -> Result<Command, Error> {
        decode(&route("POST", "/command").unwrap(), &body(pairs, Some("[1]")), 100)
    }

    #[test]
    fn controller_commands_decode_by_their_codes() {
        let d = command(&[("v", "d"), ("c", "room"), ("r", "l1"), ("t", "hi")]).unwrap();
        assert_eq!(d, Command {
            verb: Verb::Dispatch,
            channel: Some("room".into()),
            listener: Some("l1".into()),
            kind: Some("hi".into()),
            payload: Some("[1]".into()),
        });
        assert_eq!(command(&[("v", "c")]).unwrap().channel, None);
        assert_eq!(command(&[("v", "w"), ("c", "room")]).unwrap().verb, Verb::Watch);
        for verb in Verb::ALL {
            if let Some(code) = verb.code() {
                assert_eq!(Verb::from_code(code), Some(verb));
            }
        }
    }

    #[test]
    fn prototype_names_and_unknown_codes_are_not_verbs() {
        for code in ["toString", "valueOf", "constructor", "__proto__", "hasOwnProperty", "D", "x"] {
            let err = command(&[("v", code), ("c", "room")]).unwrap_err();
            assert_eq!(err.name(), "InvalidMessageFormatError", "{code}");
        }
    }

    #[test]
    fn missing_empty_or_malformed_fields_are_format_errors() {
        let cases: &[&[(&'static str, &str)]] = &[
            &[],
            &[("v", "")],
            &[("v", "b"), ("t", "x")],
            &[("v", "b"), ("c", ""), ("t", "x")],
            &[("v", "c"), ("c", "")],
            &[("v", "c"), ("c", "caf\u{e9}")],
            &[("v", "d"), ("c", "a"), ("t", "x")],
            &[("v", "b"), ("c", "a")],
            &[("v", "b"), ("c", "a"), ("t", "_eric_channel_closed")],
            &[("v", "l"), ("c", "a"), ("r", "has space")],
        ];
        for pairs in cases {
            assert_eq!(command(pairs).unwrap_err().name(), "InvalidMessageFormatError", "{pairs:?}");
        }
        let mut typed = body(&[("v", "b"), ("c", "a")], None);
        typed.0.insert("t", Field::Other);
        let err = decode(&route("POST", "/command").unwrap(), &typed, 100).unwrap_err();
        assert!(err.message().contains("must be a string"), "{err}");
    }

    #[test]
    fn rest_routes_take_their_ids_from_the_path_and_the_rest_from_the_body() {
        let create = decode(&route("POST", "/channels").unwrap(), &body(&[("id", "news")], None), 100).unwrap();
        assert_eq!((create.verb, create.channel.as_deref()), (Verb::CreateChannel, Some("news")));
        let empty_id = decode(&route("POST", "/channels").unwrap(), &body(&[("id", "")], None), 100);
        assert_eq!(empty_id.unwrap_err().name(), "InvalidMessageFormatError");
        let broadcast = decode(&route("POST", "/channels/a/messages").unwrap(), &body(&[("type", "t")], None), 100).unwrap();
        assert_eq!((broadcast.kind.as_deref(), broadcast.payload.as_deref()), (Some("t"), Some("null")));
        let listen = decode(&route("GET", "/channels/a/listeners/b/events").unwrap(), &body(&[], None), 100).unwrap();
        assert_eq!(listen.listener.as_deref(), Some("b"));
        let unicode = decode(&route("GET", "/channels/caf%C3%A9/events").unwrap(), &body(&[], None), 100);
        assert_eq!(unicode.unwrap_err().name(), "InvalidMessageFormatError");
    }

    #[test]
    fn json_depth_counts_brackets_outside_strings() {
        assert_eq!(json_depth("1"), 0);
        assert_eq!(json_depth("[{\"a\":[1]}]"), 3);
        assert_eq!(json_depth("[\"[[[{{\",\"\\\"[[\"]"), 1);
    }

    #[test]
    fn payloads_nested_deeper_than_the_limit_are_refused() {
        let route = route("POST", "/channels/a/messages").unwrap();
        let deep: &'static str = Box::leak(format!("{}{}", "[".repeat(65), "]".repeat(65)).into_boxed_str());
        let ok: &'static str = Box::leak(format!("{}{}", "[".repeat(64), "]".repeat(64)).into_boxed_str());
        assert_eq!(decode(&route, &body(&[("type", "t")], Some(deep)), 1 << 20).unwrap_err().name(), "InvalidMessageFormatError");
        assert!(decode(&route, &body(&[("type", "t")], Some(ok)), 1 << 20).is_ok());
    }

    #[test]
    fn payloads_over_the_limit_are_refused() {
        let big = decode(&route("POST", "/channels/a/messages").unwrap(), &body(&[("type", "t")], Some("[1]")), 2);
        assert_eq!(big.unwrap_err().name(), "PayloadTooLargeError");
    }
}
