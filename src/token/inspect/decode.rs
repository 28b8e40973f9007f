//! Decoding a compact JWT without trusting it: its three parts split, base64url-decoded and read
//! as JSON, with an error that says where the input breaks.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Map, Value};

/// The longest token `inspect` reads, in bytes (a token node refuses an `Authorization` header
/// longer than 8 KiB; foreign tokens get more room).
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// Why a token could not be decoded at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Nothing to decode.
    #[error("the token is empty")]
    Empty,
    /// Longer than [`MAX_TOKEN_BYTES`].
    #[error("the token has {0} bytes, more than the {MAX_TOKEN_BYTES} inspect reads")]
    TooLong(usize),
    /// Not three dot-separated parts (five is an encrypted JWE).
    #[error("the token has {parts} part{s}, a JWT has 3 (header.claims.signature){jwe}",
        s = if *parts == 1 { "" } else { "s" },
        jwe = if *parts == 5 { ": 5 parts is an encrypted JWE, which cannot be read without its key" } else { "" })]
    Parts {
        /// How many parts the dots make.
        parts: usize,
    },
    /// A part holds a byte that is not base64url, or its length or last symbol are wrong.
    #[error("part {part} ({name}) is not base64url at byte {at} of the part (byte {in_token} of the token): {what}")]
    Base64 {
        /// 1, 2 or 3.
        part: usize,
        /// header, claims or signature.
        name: &'static str,
        /// The offending byte's offset in the part, from 0.
        at: usize,
        /// Its offset in the whole token, from 0.
        in_token: usize,
        /// What is wrong there.
        what: String,
    },
    /// The header or the claims decode to something that is not a JSON object.
    #[error("part {part} ({name}) is not a JSON object: {what}")]
    NotJsonObject {
        /// 1 (header) or 2 (claims).
        part: usize,
        /// header or claims.
        name: &'static str,
        /// serde_json's reason, or what the JSON is instead.
        what: String,
    },
}

/// A token's three parts, decoded but not trusted.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The token as read (a `Bearer ` prefix and surrounding white space removed).
    pub token: String,
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims (the payload).
    pub claims: Map<String, Value>,
    /// The signature's bytes.
    pub signature: Vec<u8>,
    /// Bytes of each part as decoded: header JSON, claims JSON, signature.
    pub sizes: PartSizes,
}

/// The byte size of each decoded part and of the whole compact token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PartSizes {
    /// The header's JSON, decoded.
    pub header_bytes: usize,
    /// The claims' JSON, decoded.
    pub claims_bytes: usize,
    /// The signature, decoded.
    pub signature_bytes: usize,
    /// The compact token as sent (base64url parts and dots).
    pub token_bytes: usize,
}

impl Decoded {
    /// What the signature covers: `header.claims` as they appear in the token.
    pub fn signing_input(&self) -> &str {
        self.token.rsplit_once('.').map_or("", |(input, _)| input)
    }

    /// The signature part as it appears in the token (base64url).
    pub fn signature_b64(&self) -> &str {
        self.token.rsplit_once('.').map_or("", |(_, signature)| signature)
    }

    /// A header parameter that is a string.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }
}

const NAMES: [&str; 3] = ["header", "claims", "signature"];

/// Decodes a compact JWT: `header.claims.signature`, each part base64url without padding. A
/// leading `Bearer ` (any case) and surrounding white space are dropped.
pub fn decode(input: &str) -> Result<Decoded, DecodeError> {
    let trimmed = input.trim();
    let token = match trimmed.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim_start(),
        _ if trimmed.eq_ignore_ascii_case("bearer") => "",
        _ => trimmed,
    };
    if token.is_empty() {
        return Err(DecodeError::Empty);
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(DecodeError::TooLong(token.len()));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(DecodeError::Parts { parts: parts.len() });
    }
    let mut start = 0;
    let mut decoded: Vec<Vec<u8>> = Vec::with_capacity(3);
    for (index, part) in parts.iter().enumerate() {
        decoded.push(unbase64(part, index, start)?);
        start += part.len() + 1;
    }
    let object = |index: usize| -> Result<Map<String, Value>, DecodeError> {
        let error = |what: String| DecodeError::NotJsonObject { part: index + 1, name: NAMES[index], what };
        match serde_json::from_slice::<Value>(&decoded[index]).map_err(|e| error(e.to_string()))? {
            Value::Object(map) => Ok(map),
            other => Err(error(format!("it is {}", kind(&other)))),
        }
    };
    let (header, claims) = (object(0)?, object(1)?);
    let sizes = PartSizes {
        header_bytes: decoded[0].len(),
        claims_bytes: decoded[1].len(),
        signature_bytes: decoded[2].len(),
        token_bytes: token.len(),
    };
    let signature = decoded.pop().unwrap_or_default();
    Ok(Decoded { token: token.to_owned(), header, claims, signature, sizes })
}

/// A part, base64url-decoded, or where it breaks (`start`: the part's offset in the token).
fn unbase64(part: &str, index: usize, start: usize) -> Result<Vec<u8>, DecodeError> {
    let error = |at: usize, what: String| DecodeError::Base64 {
        part: index + 1,
        name: NAMES[index],
        at,
        in_token: start + at,
        what,
    };
    // The offending byte by hand first: base64's own offsets count from the chunk it failed in.
    if let Some((at, byte)) = part.bytes().enumerate().find(|(_, b)| !is_base64url(*b)) {
        let what = match byte {
            b'+' | b'/' => format!("{:?} is standard base64, not base64url (which has - and _)", byte as char),
            b'=' => "padding (=) is not allowed in a JWT".to_owned(),
            b if b.is_ascii_graphic() => format!("{:?} is not a base64url character", b as char),
            b => format!("byte 0x{b:02x} is not a base64url character"),
        };
        return Err(error(at, what));
    }
    if index < 2 && part.is_empty() {
        return Err(error(0, "the part is empty".to_owned()));
    }
    B64.decode(part).map_err(|e| match e {
        base64::DecodeError::InvalidLength(len) => {
            error(len.saturating_sub(1), format!("{len} characters cannot be base64url (one too many or missing)"))
        }
        base64::DecodeError::InvalidLastSymbol(at, byte) => {
            error(at, format!("the last symbol {:?} has bits set that no encoder writes", byte as char))
        }
        other => error(0, other.to_string()),
    })
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// A JSON value's kind, as a message names it.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        B64.encode(text)
    }

    fn token(header: &str, claims: &str, signature: &str) -> String {
        format!("{}.{}.{signature}", b64(header), b64(claims))
    }

    #[test]
    fn decodes_the_parts_and_their_sizes() {
        let t = token(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"sub":"a"}"#, "c2ln");
        let d = decode(&format!("  Bearer {t}\n")).unwrap();
        assert_eq!(d.token, t);
        assert_eq!(d.header_str("alg"), Some("HS256"));
        assert_eq!(d.claims["sub"], "a");
        assert_eq!(d.signature, b"sig");
        assert_eq!(d.sizes, PartSizes { header_bytes: 27, claims_bytes: 11, signature_bytes: 3, token_bytes: t.len() });
        assert_eq!(d.signing_input(), &t[..t.len() - 5]);
        assert_eq!(d.signature_b64(), "c2ln");
    }

    #[test]
    fn an_empty_signature_decodes_to_no_bytes() {
        let d = decode(&token(r#"{"alg":"none"}"#, "{}", "")).unwrap();
        assert!(d.signature.is_empty());
    }

    #[test]
    fn counts_the_parts() {
        assert_eq!(decode("").unwrap_err(), DecodeError::Empty);
        assert_eq!(decode("Bearer   ").unwrap_err(), DecodeError::Empty);
        assert_eq!(decode("abc.def").unwrap_err(), DecodeError::Parts { parts: 2 });
        assert_eq!(
            decode("abc").unwrap_err().to_string(),
            "the token has 1 part, a JWT has 3 (header.claims.signature)"
        );
        assert!(decode("a.b.c.d.e").unwrap_err().to_string().contains("encrypted JWE"));
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(decode(&long).unwrap_err(), DecodeError::TooLong(MAX_TOKEN_BYTES + 1));
    }

    #[test]
    fn says_which_byte_of_which_part_is_not_base64url() {
        let header = b64(r#"{"alg":"HS256"}"#);
        let mut claims = b64(r#"{"sub":"someone","n":1}"#);
        claims.replace_range(17..18, "+");
        let e = decode(&format!("{header}.{claims}.c2ln")).unwrap_err();
        assert_eq!(
            e,
            DecodeError::Base64 {
                part: 2,
                name: "claims",
                at: 17,
                in_token: header.len() + 1 + 17,
                what: "'+' is standard base64, not base64url (which has - and _)".into()
            }
        );
        assert!(e.to_string().starts_with("part 2 (claims) is not base64url at byte 17"), "{e}");
        let e = decode(&format!("{header}.{}.c2ln=", b64("{}"))).unwrap_err();
        assert!(e.to_string().contains("part 3 (signature)") && e.to_string().contains("padding"), "{e}");
        let e = decode(&format!("{header}..c2ln")).unwrap_err();
        assert!(e.to_string().contains("part 2 (claims)") && e.to_string().contains("empty"), "{e}");
        // Five characters can never be base64 (1 mod 4).
        let e = decode(&format!("{header}.{}.abcde", b64("{}"))).unwrap_err();
        assert!(matches!(e, DecodeError::Base64 { part: 3, at: 4, .. }), "{e:?}");
        // A last symbol with stray low bits ("c2lo" decodes, "c2lp" would not be canonical for 2 bytes).
        let e = decode(&format!("{header}.{}.c2p", b64("{}"))).unwrap_err();
        assert!(matches!(e, DecodeError::Base64 { part: 3, at: 2, .. }), "{e:?}");
    }

    #[test]
    fn header_and_claims_must_be_json_objects() {
        let e = decode(&token("[1]", "{}", "")).unwrap_err();
        assert_eq!(e.to_string(), "part 1 (header) is not a JSON object: it is an array");
        let e = decode(&token(r#"{"alg":"HS256"}"#, "{\"sub\":", "")).unwrap_err();
        assert!(e.to_string().starts_with("part 2 (claims) is not a JSON object: EOF while parsing"), "{e}");
        let e = decode(&token(r#"{"alg":"HS256"}"#, "\"text\"", "")).unwrap_err();
        assert!(e.to_string().ends_with("it is a string"), "{e}");
    }
}
