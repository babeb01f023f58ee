//! Values named by a word: stored in rows, sent on the wire and shown as that word.

/// A word that names none of the known values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not one of: {expected}")]
pub struct UnknownValue {
    pub value: String,
    pub expected: &'static str,
}

/// `words!(Type, Variant => "word", ...)`: `as_str`, `parse`, `Display`, and the
/// `String` conversions the database layer reads and writes rows through.
macro_rules! words {
    ($ty:ty, $( $variant:ident => $word:literal ),+ $(,)?) => {
        impl $ty {
            /// The word stored, sent and shown for this value.
            pub fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $word ),+ }
            }

            /// Reads the word back.
            pub fn parse(word: &str) -> Result<Self, $crate::words::UnknownValue> {
                match word {
                    $( $word => Ok(Self::$variant), )+
                    _ => Err($crate::words::UnknownValue {
                        value: word.to_owned(),
                        expected: concat!($( $word, " " ),+).trim_ascii_end(),
                    }),
                }
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $crate::words::UnknownValue;
            fn try_from(word: String) -> Result<Self, $crate::words::UnknownValue> {
                Self::parse(&word)
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.as_str().to_owned()
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
