//! postcard helpers: one canonical encoding, and decoding that refuses trailing bytes.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Encodes a value. Our types hold only integers, fixed arrays, strings, vectors and
/// enums, for which postcard's `Vec` flavour cannot fail.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("postcard cannot fail to encode plain data into a Vec")
}

/// Decodes a value that must use every byte: trailing garbage is malformed input.
pub(crate) fn decode_exact<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, postcard::Error> {
    let (value, rest) = postcard::take_from_bytes::<T>(bytes)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(postcard::Error::DeserializeBadEncoding)
    }
}

/// `#[serde(with = "codec::bytes")]` for `Vec<u8>` fields: the same postcard encoding as
/// a sequence of bytes (length, then the bytes), but copied in one go instead of byte by
/// byte.
pub(crate) mod bytes {
    use std::fmt;

    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(value: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(value)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_byte_buf(BytesVisitor)
    }

    struct BytesVisitor;

    impl serde::de::Visitor<'_> for BytesVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("bytes")
        }

        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }

        fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Fast(#[serde(with = "super::bytes")] Vec<u8>);

    #[test]
    fn the_bytes_helper_keeps_the_plain_vec_encoding() {
        let data: Vec<u8> = (0..=255).collect();
        let fast = super::encode(&Fast(data.clone()));
        assert_eq!(fast, super::encode(&data));
        assert_eq!(super::decode_exact::<Fast>(&fast), Ok(Fast(data)));
        assert!(
            super::decode_exact::<Fast>(&[5, 1, 2]).is_err(),
            "length past the end"
        );
    }
}
