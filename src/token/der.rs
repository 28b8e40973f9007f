//! Just enough DER to move RSA keys between PKCS#8 (what aws-lc-rs writes), PKCS#1 (what
//! jsonwebtoken reads) and JWK components.

const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const SEQUENCE: u8 = 0x30;

/// Reads one tag-length-value; returns (tag, value, rest).
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, value, rest) = read_tlv(input)?;
    (t == tag).then_some((value, rest))
}

/// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 `PrivateKeyInfo`.
pub fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Option<&[u8]> {
    let (info, _) = expect(pkcs8, SEQUENCE)?;
    let (_version, rest) = expect(info, INTEGER)?;
    let (_algorithm, rest) = expect(rest, SEQUENCE)?;
    let (private_key, _) = expect(rest, OCTET_STRING)?;
    Some(private_key)
}

/// The nine integers of a PKCS#1 `RSAPrivateKey` (version, n, e, d, p, q, dP, dQ, qInv), as
/// unsigned big-endian bytes without leading zeros.
pub fn rsa_private_integers(pkcs1: &[u8]) -> Option<[Vec<u8>; 9]> {
    let (mut rest, _) = expect(pkcs1, SEQUENCE)?;
    let mut out: [Vec<u8>; 9] = Default::default();
    for slot in out.iter_mut() {
        let (value, next) = expect(rest, INTEGER)?;
        let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
        *slot = value[start..].to_vec();
        rest = next;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths_and_rejects_truncation() {
        assert_eq!(read_tlv(&[0x02, 0x01, 0x05, 0xff]), Some((0x02, &[0x05][..], &[0xff][..])));
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        assert_eq!(read_tlv(&long).map(|(_, v, _)| v.len()), Some(0x80));
        assert_eq!(read_tlv(&[0x04, 0x05, 1, 2]), None);
        assert_eq!(read_tlv(&[0x04, 0x85, 1, 2, 3, 4, 5]), None);
    }
}
