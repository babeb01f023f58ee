//! HTML in and out. Remote HTML is untrusted: keep what Mastodon keeps (MASTODON.md §5.3),
//! drop the rest. Our own text becomes HTML only through [`escape_html`].

use std::collections::HashSet;
use std::sync::OnceLock;

/// Cleans HTML from another server: paragraphs, breaks, links, emphasis, lists, code, quotes.
/// Scripts, styles, images, event handlers and other attributes are removed.
pub fn html(input: &str) -> String {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER
        .get_or_init(|| {
            let tags: HashSet<&str> = [
                "p",
                "br",
                "span",
                "a",
                "del",
                "pre",
                "code",
                "em",
                "strong",
                "b",
                "i",
                "u",
                "ul",
                "ol",
                "li",
                "blockquote",
            ]
            .into_iter()
            .collect();
            let mut builder = ammonia::Builder::default();
            builder
                .tags(tags)
                .link_rel(Some("nofollow noopener noreferrer"))
                .url_schemes(["http", "https", "mailto"].into_iter().collect())
                .add_tag_attributes("a", ["href"])
                .add_tag_attributes("span", ["class"]);
            builder
        })
        .clean(input)
        .to_string()
}

/// Plain text as HTML paragraphs (blank lines separate them), escaped.
pub fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", escape_html(p.trim()).replace('\n', "<br>")))
        .collect()
}

/// Escapes text for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_and_handlers_are_removed() {
        let cleaned = super::html(
            "<p onclick=\"x()\">Hi <a href=\"javascript:alert(1)\">x</a><script>bad()</script>\
             <a href=\"https://coop.example/\">ok</a><img src=x></p>",
        );
        assert_eq!(
            cleaned,
            "<p>Hi <a rel=\"nofollow noopener noreferrer\">x</a>\
             <a href=\"https://coop.example/\" rel=\"nofollow noopener noreferrer\">ok</a></p>"
        );
    }
}
