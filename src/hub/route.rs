//! REST routes: `(method, path)` → which [`Verb`] it is, the ids in the path, and which body
//! keys hold the rest of the command.

use crate::error::Error;
use crate::hub::Verb;

/// A matched route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The verb; `None` for `POST /command`, whose body names it (`v`).
    pub verb: Option<Verb>,
    /// The channel id in the path, percent-decoded.
    pub channel: Option<String>,
    /// The listener id in the path, percent-decoded.
    pub listener: Option<String>,
    /// Whether the request must carry a JSON body (`false`: an empty body is `{}`).
    pub body_required: bool,
    /// Whether a body is read at all.
    pub reads_body: bool,
}

/// Matches `method` and `path` (the URL's path, still percent-encoded).
///
/// # Errors
/// [`Error::NotFound`] for an unknown path, [`Error::MethodNotAllowed`] for a known path with
/// another method, [`Error::InvalidMessageFormat`] for a malformed percent-escape.
pub fn route(method: &str, path: &str) -> Result<Route, Error> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let not_found = || Error::NotFound { path: path.to_owned() };
    let decoded = |index: usize| segments.get(index).map(|s| percent_decode(s)).transpose();
    let (verb, allow, body) = match segments.as_slice() {
        ["command"] => return only(method, "POST", Route { verb: None, ..read(true) }),
        ["channels"] => match method {
            "GET" => (Verb::ListChannels, "", Body::None),
            "POST" => (Verb::CreateChannel, "", Body::Optional),
            _ => return Err(Error::MethodNotAllowed { allow: "GET, POST" }),
        },
        ["channels", _] => (Verb::RemoveChannel, "DELETE", Body::None),
        ["channels", _, "messages"] => (Verb::Broadcast, "POST", Body::Required),
        ["channels", _, "events"] => (Verb::Watch, "GET", Body::None),
        ["channels", _, "listeners"] => (Verb::AddListener, "POST", Body::None),
        ["channels", _, "listeners", _] => (Verb::RemoveListener, "DELETE", Body::None),
        ["channels", _, "listeners", _, "messages"] => (Verb::Dispatch, "POST", Body::Required),
        ["channels", _, "listeners", _, "events"] => (Verb::Listen, "GET", Body::None),
        _ => return Err(not_found()),
    };
    let route = Route {
        verb: Some(verb),
        channel: decoded(1)?,
        listener: if segments.len() > 3 { decoded(3)? } else { None },
        body_required: body == Body::Required,
        reads_body: body != Body::None,
    };
    if allow.is_empty() {
        return Ok(route);
    }
    only(method, allow, route)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    Optional,
    Required,
}

fn read(required: bool) -> Route {
    Route { verb: None, channel: None, listener: None, body_required: required, reads_body: true }
}

fn only(method: &str, allow: &'static str, route: Route) -> Result<Route, Error> {
    if method == allow {
        Ok(route)
    } else {
        Err(Error::MethodNotAllowed { allow })
    }
}

/// Decodes `%XX` escapes (`XX` two hex digits; the bytes must form UTF-8).
fn percent_decode(segment: &str) -> Result<String, Error> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            // Two hex digits exactly: `from_str_radix` alone would also take a sign ("%+F").
            let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
            let hex = hex.and_then(|h| core::str::from_utf8(h).ok());
            let value = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(malformed)?;
            out.push(value);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| malformed())
}

fn malformed() -> Error {
    Error::format("the path has a malformed percent-escape")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_names_its_verb_and_ids() {
        let cases = [
            ("GET", "/channels", Verb::ListChannels, None, None),
            ("POST", "/channels", Verb::CreateChannel, None, None),
            ("DELETE", "/channels/a", Verb::RemoveChannel, Some("a"), None),
            ("POST", "/channels/a/messages", Verb::Broadcast, Some("a"), None),
            ("GET", "/channels/a/events", Verb::Watch, Some("a"), None),
            ("POST", "/channels/a/listeners", Verb::AddListener, Some("a"), None),
            ("DELETE", "/channels/a/listeners/b", Verb::RemoveListener, Some("a"), Some("b")),
            ("POST", "/channels/a/listeners/b/messages", Verb::Dispatch, Some("a"), Some("b")),
            ("GET", "/channels/a/listeners/b/events", Verb::Listen, Some("a"), Some("b")),
        ];
        for (method, path, verb, c, l) in cases {
            let r = route(method, path).unwrap();
            assert_eq!((r.verb, r.channel.as_deref(), r.listener.as_deref()), (Some(verb), c, l), "{method} {path}");
        }
        assert_eq!(route("POST", "/command").unwrap().verb, None);
    }

    #[test]
    fn unknown_paths_and_methods_are_refused() {
        assert_eq!(route("GET", "/elsewhere").unwrap_err().name(), "NotFoundError");
        assert_eq!(route("GET", "/channels/a/b/c/d/e").unwrap_err().name(), "NotFoundError");
        let err = route("PUT", "/channels/a").unwrap_err();
        assert_eq!((err.name(), err.detail()), ("MethodNotAllowedError", Some("DELETE")));
        assert_eq!(route("GET", "/command").unwrap_err().detail(), Some("POST"));
        assert_eq!(route("DELETE", "/channels").unwrap_err().detail(), Some("GET, POST"));
    }

    #[test]
    fn path_ids_are_percent_decoded_and_bad_escapes_refused() {
        assert_eq!(route("DELETE", "/channels/a%2Fb").unwrap().channel.as_deref(), Some("a/b"));
        assert_eq!(route("DELETE", "/channels/caf%C3%A9").unwrap().channel.as_deref(), Some("caf\u{e9}"));
        for bad in ["/channels/%", "/channels/%4", "/channels/%zz", "/channels/%FF", "/channels/%+F", "/channels/a%+41"] {
            assert_eq!(route("DELETE", bad).unwrap_err().name(), "InvalidMessageFormatError", "{bad}");
        }
    }
}
