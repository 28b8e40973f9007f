//! The memory store's encoding of a session's data: compact, and quick to decode on every request.
//!
//! A session's data is a map of string keys to JSON values, and in practice every value is a
//! string (the user's name, the payload). So strings are stored as their raw bytes, and only other
//! values as JSON text:
//!
//! ```text
//! data  := varint(entries) entry*
//! entry := varint(key length) key  varint(value length << 1 | is_json) value
//! ```
//!
//! where `value` is the string's UTF-8 when `is_json` is 0, and the value as JSON text when it is 1.
//! It is as small as MessagePack for such data, and decoding is a copy per string rather than
//! serde's generic walk through `serde_json::Value`.

use std::collections::HashMap;

use serde_json::Value;

/// Why stored bytes did not decode (only a bug could cause it: the store decodes what it encoded).
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("session data ends early")]
    Truncated,
    #[error("session data is not UTF-8")]
    NotUtf8,
    #[error("session data holds bad JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Encodes a session's data.
pub fn encode(data: &HashMap<String, Value>) -> Result<Box<[u8]>, CodecError> {
    let strings: usize = data.iter().map(|(k, v)| k.len() + v.as_str().map_or(0, str::len) + 4).sum();
    let mut out = Vec::with_capacity(strings + 2);
    put_varint(&mut out, data.len() as u64);
    for (key, value) in data {
        put_varint(&mut out, key.len() as u64);
        out.extend_from_slice(key.as_bytes());
        match value {
            Value::String(text) => {
                put_varint(&mut out, (text.len() as u64) << 1);
                out.extend_from_slice(text.as_bytes());
            }
            other => {
                let json = serde_json::to_vec(other)?;
                put_varint(&mut out, (json.len() as u64) << 1 | 1);
                out.extend_from_slice(&json);
            }
        }
    }
    Ok(out.into_boxed_slice())
}

/// Decodes what [`encode`] wrote.
pub fn decode(mut bytes: &[u8]) -> Result<HashMap<String, Value>, CodecError> {
    let entries = take_varint(&mut bytes)? as usize;
    // Each entry takes at least two bytes: a corrupt count cannot make a huge allocation.
    let mut data = HashMap::with_capacity(entries.min(bytes.len() / 2));
    for _ in 0..entries {
        let key_len = take_varint(&mut bytes)? as usize;
        let key = take_str(&mut bytes, key_len)?.to_owned();
        let header = take_varint(&mut bytes)?;
        let len = (header >> 1) as usize;
        let value = if header & 1 == 0 {
            Value::String(take_str(&mut bytes, len)?.to_owned())
        } else {
            serde_json::from_slice(take(&mut bytes, len)?)?
        };
        data.insert(key, value);
    }
    Ok(data)
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn take_varint(bytes: &mut &[u8]) -> Result<u64, CodecError> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first().ok_or(CodecError::Truncated)?;
        *bytes = rest;
        n |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(n);
        }
    }
    Err(CodecError::Truncated)
}

fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Result<&'a [u8], CodecError> {
    if bytes.len() < len {
        return Err(CodecError::Truncated);
    }
    let (taken, rest) = bytes.split_at(len);
    *bytes = rest;
    Ok(taken)
}

fn take_str<'a>(bytes: &mut &'a [u8], len: usize) -> Result<&'a str, CodecError> {
    std::str::from_utf8(take(bytes, len)?).map_err(|_| CodecError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn a_session_round_trips_and_is_as_small_as_messagepack() {
        let data: HashMap<String, Value> = [
            ("user".to_owned(), json!("user0000042")),
            ("payload".to_owned(), json!("x".repeat(200))),
            ("visits".to_owned(), json!(3)),
            ("flags".to_owned(), json!({"admin": false, "tags": ["a", "ü"]})),
        ]
        .into_iter()
        .collect();
        let bytes = encode(&data).unwrap();
        assert_eq!(decode(&bytes).unwrap(), data);
        let messagepack = rmp_serde::to_vec(&data).unwrap();
        assert!(bytes.len() <= messagepack.len() + 2, "{} bytes against MessagePack's {}", bytes.len(), messagepack.len());
    }

    #[test]
    fn damaged_bytes_are_errors_not_panics() {
        let bytes = encode(&[("user".to_owned(), json!("u"))].into_iter().collect()).unwrap();
        for end in 0..bytes.len() {
            assert!(decode(&bytes[..end]).is_err(), "cut at {end}");
        }
        assert!(decode(&[0xff; 12]).is_err(), "a varint that never ends");
        assert!(decode(&[1, 1, 0xff, 0]).is_err(), "a key that is not UTF-8");
    }

    proptest! {
        #[test]
        fn any_string_data_round_trips(entries in proptest::collection::hash_map(".{0,40}", ".{0,300}", 0..6)) {
            let data: HashMap<String, Value> = entries.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            prop_assert_eq!(decode(&encode(&data).unwrap()).unwrap(), data);
        }
    }
}
