//! Message ids and the ids of listeners and channels.
//!
//! A [`MessageId`] is two unsigned integers written `major-minor` in canonical decimal (no sign,
//! no leading zeros), ordered by `(major, minor)`. A channel that assigns its own ids uses its
//! epoch (chosen when the channel is created, never reused by the driver) as `major` and a
//! sequence from 1 as `minor`, so an id from another lifetime of the channel is never mistaken
//! for one of this lifetime. Engines that assign ids (Redis Streams' `ms-seq`, a Durable
//! Object's `epoch-seq`) use the same form.

use crate::text::push_decimal;

/// One message's id: `major-minor`, ordered numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId {
    /// The epoch of a locally numbered channel, or an engine's first component.
    pub major: u64,
    /// The sequence within `major`.
    pub minor: u64,
}

impl MessageId {
    /// The id `major-minor`.
    pub const fn new(major: u64, minor: u64) -> Self {
        MessageId { major, minor }
    }

    /// Reads the canonical form `<digits>-<digits>`; anything else is `None`.
    ///
    /// ```
    /// use eric_sse::MessageId;
    /// assert_eq!(MessageId::parse("17-3"), Some(MessageId::new(17, 3)));
    /// assert_eq!(MessageId::parse("017-3"), None);
    /// assert_eq!(MessageId::parse("3"), None);
    /// ```
    pub fn parse(text: &str) -> Option<MessageId> {
        let (major, minor) = text.split_once('-')?;
        Some(MessageId { major: canonical(major)?, minor: canonical(minor)? })
    }

    /// Appends the canonical text form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        push_decimal(out, self.major);
        out.push(b'-');
        push_decimal(out, self.minor);
    }

    /// The canonical text form.
    pub fn to_text(&self) -> String {
        let mut out = Vec::with_capacity(24);
        self.write_to(&mut out);
        out.into_iter().map(char::from).collect()
    }

    /// What every id of `major` starts with: the text form is this prefix, then `minor` in
    /// decimal (a binding hands out the prefix once and the minor as a number per message).
    pub fn prefix(major: u64) -> String {
        let mut out = Vec::with_capacity(21);
        push_decimal(&mut out, major);
        out.push(b'-');
        out.into_iter().map(char::from).collect()
    }

    /// The minor as an `f64` when the `f64` holds it exactly (up to 2^53 − 1).
    pub fn exact_minor(&self) -> Option<f64> {
        const MAX_EXACT: u64 = (1 << 53) - 1;
        (self.minor <= MAX_EXACT).then_some(self.minor as f64)
    }
}

/// A decimal `u64` with no sign, no leading zero (but `0`) and no overflow.
fn canonical(digits: &str) -> Option<u64> {
    let bytes = digits.as_bytes();
    let first = *bytes.first()?;
    if !bytes.iter().all(u8::is_ascii_digit) || (first == b'0' && bytes.len() > 1) {
        return None;
    }
    bytes.iter().try_fold(0u64, |n, b| n.checked_mul(10)?.checked_add(u64::from(b - b'0')))
}

/// The longest listener, channel or sender id, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// Checks a listener, channel or sender id: 1 to [`MAX_ID_BYTES`] visible ASCII characters
/// (`!` to `~`), other than `.` and `..`, so an id can travel in a URL path segment, an HTTP
/// header and the packed deliveries without escaping or ambiguity.
///
/// # Errors
/// A sentence saying what is wrong, for the caller's error.
pub fn check_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        return Err("ids must not be empty");
    }
    if id.len() > MAX_ID_BYTES {
        return Err("ids are at most 256 characters");
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("ids are visible ASCII characters (no spaces, control or non-ASCII characters)");
    }
    if id == "." || id == ".." {
        // A URL parser drops these path segments (%2E too): the hub's routes could not name it.
        return Err("ids must not be \".\" or \"..\"");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_not_ids() {
        for bad in [".", ".."] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
        for good in ["...", ".a", "a.", "a..b"] {
            assert_eq!(check_id(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn ids_round_trip_through_their_canonical_text() {
        for id in [MessageId::new(0, 0), MessageId::new(1764230000000, 1), MessageId::new(u64::MAX, u64::MAX)] {
            assert_eq!(MessageId::parse(&id.to_text()), Some(id));
        }
    }

    #[test]
    fn non_canonical_or_malformed_ids_are_refused() {
        for bad in ["", "1", "-1", "1-", "a-1", "1-01", "01-1", "1--1", "1-1-1", "+1-1", " 1-1", "1-18446744073709551616"] {
            assert_eq!(MessageId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_prefix_and_the_exact_minor_make_the_text_form() {
        let max_exact = (1u64 << 53) - 1;
        for id in [MessageId::new(0, 1), MessageId::new(1_795_792_436_122, 7), MessageId::new(u64::MAX, max_exact)] {
            let minor = id.exact_minor().unwrap();
            assert_eq!(format!("{}{minor}", MessageId::prefix(id.major)), id.to_text());
        }
        assert_eq!(MessageId::new(1, max_exact + 1).exact_minor(), None);
        assert_eq!(MessageId::new(1, u64::MAX).exact_minor(), None);
    }

    #[test]
    fn ids_order_by_major_then_minor() {
        assert!(MessageId::new(1, 9) < MessageId::new(2, 0));
        assert!(MessageId::new(2, 1) < MessageId::new(2, 10));
    }

    #[test]
    fn listener_ids_are_visible_ascii_of_bounded_length() {
        assert!(check_id("alice").is_ok());
        assert!(check_id("a/b:c@d").is_ok());
        assert!(check_id(&"x".repeat(256)).is_ok());
        for bad in ["", "a b", "a\nb", "caf\u{e9}", "\u{2026}", "a\0", &"x".repeat(257)] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
    }
}
