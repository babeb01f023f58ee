//! Message catalogues (Fluent) and the choice of language for a request.
//!
//! The catalogues are compiled into the binary (`include_str!`) and parsed once: they are
//! constant data, like the templates, not configuration, so one static serves every
//! instance of a process.

use std::sync::LazyLock;

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::{LanguageIdentifier, langid};

/// The languages we have complete catalogues for; the first is the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
}

/// The cookie that keeps a visitor's choice from the language switch.
pub const LANG_COOKIE: &str = "cooperage_lang";

const SOURCES: [(Lang, &str); 2] = [
    (Lang::En, include_str!("../../locales/en/main.ftl")),
    (Lang::De, include_str!("../../locales/de/main.ftl")),
];

impl Lang {
    /// Every language, for the switch.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// The BCP 47 tag (`lang` attribute, `?lang=`, cookie).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// A language from a tag such as `de`, `de-AT` or `EN_gb`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "de" => Some(Lang::De),
            _ => None,
        }
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Lang::En => langid!("en"),
            Lang::De => langid!("de"),
        }
    }

    /// The language of a request: `?lang=` (the switch), else the cookie it set, else the
    /// browser's `Accept-Language` by quality, else English.
    pub fn negotiate(query_lang: Option<&str>, headers: &HeaderMap) -> Lang {
        query_lang
            .and_then(Lang::from_tag)
            .or_else(|| cookie(headers).and_then(|c| Lang::from_tag(&c)))
            .or_else(|| accept_language(headers))
            .unwrap_or(Lang::En)
    }
}

/// Keeps a language in the language cookie of a response (`None` clears it: back to the
/// browser's), for the pages that do not look the member up.
pub fn remember(headers: &mut HeaderMap, language: Option<&str>) {
    let cookie = match language {
        Some(code) => format!("{LANG_COOKIE}={code}; Path=/; SameSite=Lax; Max-Age=31536000"),
        None => format!("{LANG_COOKIE}=; Path=/; SameSite=Lax; Max-Age=0"),
    };
    if let Ok(value) = axum::http::HeaderValue::from_str(&cookie) {
        headers.append(axum::http::header::SET_COOKIE, value);
    }
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim() == LANG_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
}

/// The best of our languages in `Accept-Language` (highest `q`, first on ties).
fn accept_language(headers: &HeaderMap) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for value in headers.get_all(ACCEPT_LANGUAGE) {
        let Ok(value) = value.to_str() else { continue };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((lang, q));
            }
        }
    }
    best.map(|(lang, _)| lang)
}

struct Catalogues(Vec<(Lang, FluentBundle<FluentResource>)>);

static CATALOGUES: LazyLock<Catalogues> = LazyLock::new(|| {
    Catalogues(
        SOURCES
            .iter()
            .map(|(lang, source)| {
                // The catalogues are ours and tested (`catalogues_parse_and_agree`): a syntax
                // error is a build defect, found by the tests before it ships.
                let resource = FluentResource::try_new((*source).to_owned())
                    .unwrap_or_else(|(resource, _)| resource);
                let mut bundle = FluentBundle::new_concurrent(vec![lang.langid()]);
                // No Unicode isolation marks: the text goes into HTML, escaped, never mixed
                // with right-to-left scripts in our two languages.
                bundle.set_use_isolating(false);
                let _ = bundle.add_resource(resource);
                (*lang, bundle)
            })
            .collect(),
    )
});

/// The messages of one language, for templates: `{{ t.get("key") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    /// The message `key`; the key itself when missing, so a gap shows instead of failing.
    pub fn get(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with one argument.
    pub fn with(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), value.to_owned());
        self.format(key, Some(&args))
    }

    /// The message `key` with several arguments.
    pub fn args(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in values {
            args.set((*name).to_owned(), (*value).to_owned());
        }
        self.format(key, Some(&args))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        let Some((_, bundle)) = CATALOGUES.0.iter().find(|(l, _)| *l == self.lang) else {
            return key.to_owned();
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(source: &str) -> Vec<String> {
        let resource = FluentResource::try_new(source.to_owned()).expect("catalogue parses");
        let mut keys: Vec<String> = resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn catalogues_parse_and_agree() {
        let english = keys(SOURCES[0].1);
        for (lang, source) in &SOURCES[1..] {
            assert_eq!(
                keys(source),
                english,
                "{lang:?} has other keys than English"
            );
        }
        assert!(english.len() > 40);
    }

    #[test]
    fn messages_take_arguments() {
        let de = Tr { lang: Lang::De };
        assert_eq!(de.get("login-title"), "Anmelden");
        assert_eq!(de.with("dashboard-title", "name", "Ada"), "Willkommen, Ada");
        assert_eq!(de.get("no-such-key"), "no-such-key");
    }

    fn headers(accept: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(ACCEPT_LANGUAGE, accept.parse().unwrap());
        map
    }

    #[test]
    fn the_switch_beats_the_cookie_beats_the_browser() {
        assert_eq!(Lang::negotiate(None, &HeaderMap::new()), Lang::En);
        assert_eq!(Lang::negotiate(None, &headers("de-DE,de;q=0.9")), Lang::De);
        assert_eq!(
            Lang::negotiate(None, &headers("fr, en;q=0.5, de;q=0.8")),
            Lang::De
        );
        assert_eq!(Lang::negotiate(None, &headers("de;q=0")), Lang::En);
        assert_eq!(Lang::negotiate(Some("en"), &headers("de")), Lang::En);
        let mut map = headers("en");
        map.insert(COOKIE, "a=b; cooperage_lang=de".parse().unwrap());
        assert_eq!(Lang::negotiate(None, &map), Lang::De);
        assert_eq!(Lang::negotiate(Some("xx"), &map), Lang::De);
    }
}
