//! The slice of RFC 8941 structured fields that `Signature-Input`, `Signature` and
//! `Content-Digest` use: dictionaries of items and inner lists, with parameters.
//!
//! Hand-written (about 200 lines) rather than a dependency, and it records each member's raw
//! text because RFC 9421 signs the `Signature-Input` member exactly as the sender wrote it.

use base64::Engine as _;

use super::b64;

/// A bare item; decimals are kept as text because nothing here computes with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BareItem {
    Integer(i64),
    Decimal(String),
    String(String),
    Token(String),
    ByteSeq(Vec<u8>),
    Boolean(bool),
}

/// Parameters in order; a repeated key keeps its first position and its last value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params(pub(crate) Vec<(String, BareItem)>);

impl Params {
    /// The value of parameter `key`, if present.
    pub(crate) fn get(&self, key: &str) -> Option<&BareItem> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn set(&mut self, key: String, value: BareItem) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }
}

/// An item with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) bare: BareItem,
    pub(crate) params: Params,
}

/// A dictionary member's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MemberValue {
    Item(Item),
    InnerList(Vec<Item>, Params),
}

/// A dictionary member, with the raw text of its value (after `=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member<'a> {
    pub(crate) key: String,
    pub(crate) value: MemberValue,
    pub(crate) raw: &'a str,
}

/// Parses an RFC 8941 dictionary; the error is a short static reason.
pub(crate) fn parse_dictionary(input: &str) -> Result<Vec<Member<'_>>, &'static str> {
    let mut p = Parser { input, pos: 0 };
    let mut members: Vec<Member<'_>> = Vec::new();
    p.skip(|b| b == b' ');
    while !p.at_end() {
        let key = p.key()?;
        let start = p.pos;
        let value = if p.eat(b'=') {
            if p.peek() == Some(b'(') {
                let items = p.inner_list()?;
                MemberValue::InnerList(items, p.params()?)
            } else {
                let bare = p.bare_item()?;
                MemberValue::Item(Item {
                    bare,
                    params: p.params()?,
                })
            }
        } else {
            MemberValue::Item(Item {
                bare: BareItem::Boolean(true),
                params: p.params()?,
            })
        };
        let raw = input[start..p.pos].strip_prefix('=').unwrap_or_default();
        let member = Member { key, value, raw };
        match members.iter_mut().find(|m| m.key == member.key) {
            Some(existing) => *existing = member,
            None => members.push(member),
        }
        p.skip(|b| b == b' ' || b == b'\t');
        if p.at_end() {
            break;
        }
        if !p.eat(b',') {
            return Err("expected `,` between dictionary members");
        }
        p.skip(|b| b == b' ' || b == b'\t');
        if p.at_end() {
            return Err("trailing `,` in dictionary");
        }
    }
    Ok(members)
}

/// Serializes `text` as an sf-string, or `None` if it has characters sf-strings cannot carry.
pub(crate) fn serialize_string(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => return None,
        }
    }
    out.push('"');
    Some(out)
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn skip(&mut self, what: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&what) {
            self.pos += 1;
        }
    }

    fn take_while(&mut self, what: impl Fn(u8) -> bool) -> &str {
        let start = self.pos;
        self.skip(what);
        &self.input[start..self.pos]
    }

    fn key(&mut self) -> Result<String, &'static str> {
        if !self
            .peek()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'*')
        {
            return Err("a key must start with a lower-case letter or `*`");
        }
        let key = self.take_while(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.' | b'*')
        });
        Ok(key.to_owned())
    }

    fn inner_list(&mut self) -> Result<Vec<Item>, &'static str> {
        self.eat(b'(');
        let mut items = Vec::new();
        loop {
            self.skip(|b| b == b' ');
            if self.eat(b')') {
                return Ok(items);
            }
            let bare = self.bare_item()?;
            let params = self.params()?;
            items.push(Item { bare, params });
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return Err("expected a space or `)` in an inner list");
            }
        }
    }

    fn params(&mut self) -> Result<Params, &'static str> {
        let mut params = Params::default();
        while self.eat(b';') {
            self.skip(|b| b == b' ');
            let key = self.key()?;
            let value = if self.eat(b'=') {
                self.bare_item()?
            } else {
                BareItem::Boolean(true)
            };
            params.set(key, value);
        }
        Ok(params)
    }

    fn bare_item(&mut self) -> Result<BareItem, &'static str> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'"') => self.string(),
            Some(b':') => self.byte_seq(),
            Some(b'?') => self.boolean(),
            Some(b) if b.is_ascii_alphabetic() || b == b'*' => Ok(BareItem::Token(
                self.take_while(|b| b.is_ascii_alphanumeric() || b":/!#$%&'*+-.^_`|~".contains(&b))
                    .to_owned(),
            )),
            _ => Err("expected an item"),
        }
    }

    fn number(&mut self) -> Result<BareItem, &'static str> {
        let start = self.pos;
        self.eat(b'-');
        let int = self.take_while(|b| b.is_ascii_digit()).len();
        if int == 0 {
            return Err("expected a digit");
        }
        if self.eat(b'.') {
            let frac = self.take_while(|b| b.is_ascii_digit()).len();
            if int > 12 || !(1..=3).contains(&frac) {
                return Err("decimal out of range");
            }
            return Ok(BareItem::Decimal(self.input[start..self.pos].to_owned()));
        }
        if int > 15 {
            return Err("integer out of range");
        }
        self.input[start..self.pos]
            .parse()
            .map(BareItem::Integer)
            .map_err(|_| "integer out of range")
    }

    fn string(&mut self) -> Result<BareItem, &'static str> {
        self.eat(b'"');
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(BareItem::String(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => out.push(char::from(c)),
                        _ => return Err("invalid escape in string"),
                    }
                    self.pos += 1;
                }
                Some(c @ 0x20..=0x7e) => {
                    out.push(char::from(c));
                    self.pos += 1;
                }
                Some(_) => return Err("invalid character in string"),
            }
        }
    }

    fn byte_seq(&mut self) -> Result<BareItem, &'static str> {
        self.eat(b':');
        let text =
            self.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        let bytes = b64()
            .decode(text)
            .map_err(|_| "invalid base64 in byte sequence")?;
        if !self.eat(b':') {
            return Err("unterminated byte sequence");
        }
        Ok(BareItem::ByteSeq(bytes))
    }

    fn boolean(&mut self) -> Result<BareItem, &'static str> {
        self.eat(b'?');
        let value = match self.peek() {
            Some(b'1') => true,
            Some(b'0') => false,
            _ => return Err("invalid boolean"),
        };
        self.pos += 1;
        Ok(BareItem::Boolean(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_signature_input_member_and_keeps_its_raw_text() {
        let header = r#"sig1=("@method" "@target-uri" "content-digest");created=1700000000;keyid="https://x/a#main-key";alg="rsa-v1_5-sha256", sig2=("@method");created=1"#;
        let members = parse_dictionary(header).unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].key, "sig1");
        assert_eq!(
            members[0].raw,
            r#"("@method" "@target-uri" "content-digest");created=1700000000;keyid="https://x/a#main-key";alg="rsa-v1_5-sha256""#
        );
        let MemberValue::InnerList(items, params) = &members[0].value else {
            panic!("not an inner list");
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].bare, BareItem::String("@target-uri".into()));
        assert_eq!(
            params.get("created"),
            Some(&BareItem::Integer(1_700_000_000))
        );
        assert_eq!(
            params.get("keyid"),
            Some(&BareItem::String("https://x/a#main-key".into()))
        );
        assert_eq!(members[1].raw, r#"("@method");created=1"#);
    }

    #[test]
    fn parses_items_of_every_type() {
        let members =
            parse_dictionary(r#"a=1, b=-2.5, c="q\"s", d=tok/en, e=:AQI=:, f=?0, g;x=?1, h=()"#)
                .unwrap();
        let bare: Vec<_> = members
            .iter()
            .map(|m| match &m.value {
                MemberValue::Item(i) => Some(i.bare.clone()),
                MemberValue::InnerList(..) => None,
            })
            .collect();
        assert_eq!(
            bare,
            [
                Some(BareItem::Integer(1)),
                Some(BareItem::Decimal("-2.5".into())),
                Some(BareItem::String("q\"s".into())),
                Some(BareItem::Token("tok/en".into())),
                Some(BareItem::ByteSeq(vec![1, 2])),
                Some(BareItem::Boolean(false)),
                Some(BareItem::Boolean(true)),
                None,
            ]
        );
    }

    #[test]
    fn rejects_malformed_dictionaries() {
        for bad in [
            "A=1",
            "a=1,",
            "a=1 b=2",
            "a=\"open",
            "a=:AQI=",
            "a=(\"x\"",
            "a=(\"x\"\"y\")",
            "a=1234567890123456",
            "a=\"tab\there\"",
        ] {
            assert!(parse_dictionary(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serializes_strings() {
        assert_eq!(
            serialize_string(r#"a"b\c"#).as_deref(),
            Some(r#""a\"b\\c""#)
        );
        assert_eq!(serialize_string("é"), None);
    }
}
