//! The encodings logs add on top of a payload, peeled off before Log4j's
//! substitution is evaluated: URL percent-encoding (any number of times:
//! `%24`, `%2524`), JSON and Java escapes (`\u0024`, `\x24`, `\\`, `\"`,
//! `\/`), HTML character references (`&#36;`, `&#x24;`, `&dollar;`,
//! `&lbrace;`, `&amp;`).
//!
//! Every decoded character keeps the byte range of the raw text it came
//! from, so a hit found in decoded text is reported at its raw offset with
//! its raw text.

/// Text with, per character, the raw byte range it was decoded from.
#[derive(Debug, Clone, Default)]
pub struct Mapped {
    pub chars: Vec<char>,
    /// `spans[i]` = raw `[start, end)` of `chars[i]`, relative to the raw
    /// window the text was built from.
    pub spans: Vec<(u32, u32)>,
}

impl Mapped {
    /// Raw bytes (invalid UTF-8 becomes U+FFFD, one per bad sequence).
    pub fn from_bytes(raw: &[u8]) -> Mapped {
        let mut m = Mapped {
            chars: Vec::with_capacity(raw.len()),
            spans: Vec::with_capacity(raw.len()),
        };
        let mut at = 0u32;
        for chunk in raw.utf8_chunks() {
            for c in chunk.valid().chars() {
                let n = c.len_utf8() as u32;
                m.chars.push(c);
                m.spans.push((at, at + n));
                at += n;
            }
            let bad = chunk.invalid().len() as u32;
            if bad > 0 {
                m.chars.push(char::REPLACEMENT_CHARACTER);
                m.spans.push((at, at + bad));
                at += bad;
            }
        }
        m
    }

    /// The raw byte range of `chars[a..b]`.
    pub fn raw_range(&self, a: usize, b: usize) -> (u32, u32) {
        let start = self.spans.get(a).map_or(0, |s| s.0);
        let end = if b > a {
            self.spans.get(b - 1).map_or(start, |s| s.1)
        } else {
            start
        };
        (start, end)
    }

    fn push(&mut self, c: char, span: (u32, u32)) {
        self.chars.push(c);
        self.spans.push(span);
    }
}

/// Applies decoding passes until nothing changes (at most `max_passes`),
/// returning the decoded text and the layers peeled, in order (`"url"`,
/// `"url"`, `"escape"`, `"html"`).
pub fn peel(mut text: Mapped, max_passes: usize) -> (Mapped, Vec<&'static str>) {
    let mut layers = Vec::new();
    for _ in 0..max_passes {
        let Some((next, used)) = pass(&text) else {
            break;
        };
        for l in used {
            layers.push(l);
        }
        text = next;
    }
    (text, layers)
}

const URL: u8 = 1;
const ESCAPE: u8 = 2;
const HTML: u8 = 4;

fn hex(c: char) -> Option<u32> {
    c.to_digit(16)
}

/// One pass: every encoded sequence at its position, left to right.
fn pass(t: &Mapped) -> Option<(Mapped, Vec<&'static str>)> {
    let c = &t.chars;
    let n = c.len();
    if !c.iter().any(|&x| x == '%' || x == '\\' || x == '&') {
        return None;
    }
    let mut out = Mapped {
        chars: Vec::with_capacity(n),
        spans: Vec::with_capacity(n),
    };
    let mut used = 0u8;
    let mut i = 0;
    let mut bytes: Vec<u8> = Vec::new();
    let mut byte_spans: Vec<(u32, u32)> = Vec::new();
    while i < n {
        // A run of byte escapes (`%XX` or `\xXX`), decoded as UTF-8 together.
        let byte_at = |i: usize| -> Option<(u8, usize, u8)> {
            if c[i] == '%' && i + 2 < n {
                let (h, l) = (hex(c[i + 1])?, hex(c[i + 2])?);
                return Some(((h * 16 + l) as u8, 3, URL));
            }
            if c[i] == '\\' && i + 3 < n && (c[i + 1] == 'x' || c[i + 1] == 'X') {
                let (h, l) = (hex(c[i + 2])?, hex(c[i + 3])?);
                return Some(((h * 16 + l) as u8, 4, ESCAPE));
            }
            None
        };
        if byte_at(i).is_some() {
            bytes.clear();
            byte_spans.clear();
            let mut j = i;
            while j < n {
                let Some((b, len, kind)) = byte_at(j) else {
                    break;
                };
                bytes.push(b);
                byte_spans.push((t.spans[j].0, t.spans[j + len - 1].1));
                used |= kind;
                j += len;
            }
            let mut k = 0usize;
            for chunk in bytes.utf8_chunks() {
                for ch in chunk.valid().chars() {
                    let m = ch.len_utf8();
                    out.push(ch, (byte_spans[k].0, byte_spans[k + m - 1].1));
                    k += m;
                }
                let bad = chunk.invalid().len();
                if bad > 0 {
                    out.push(
                        char::REPLACEMENT_CHARACTER,
                        (byte_spans[k].0, byte_spans[k + bad - 1].1),
                    );
                    k += bad;
                }
            }
            i = j;
            continue;
        }
        // IIS-style `%uXXXX`.
        if c[i] == '%' && i + 5 < n && (c[i + 1] == 'u' || c[i + 1] == 'U') {
            if let Some(unit) = hex4(&c[i + 2..i + 6]) {
                out.push(
                    char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER),
                    (t.spans[i].0, t.spans[i + 5].1),
                );
                used |= URL;
                i += 6;
                continue;
            }
        }
        if c[i] == '\\' && i + 1 < n {
            match c[i + 1] {
                'u' if i + 5 < n => {
                    if let Some(unit) = hex4(&c[i + 2..i + 6]) {
                        let mut end = i + 6;
                        let ch = if (0xD800..0xDC00).contains(&unit)
                            && end + 6 <= n
                            && c[end] == '\\'
                            && c[end + 1] == 'u'
                        {
                            match hex4(&c[end + 2..end + 6]) {
                                Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                    end += 6;
                                    char::from_u32(
                                        0x10000 + ((unit - 0xD800) << 10) + (lo - 0xDC00),
                                    )
                                }
                                _ => None,
                            }
                        } else {
                            char::from_u32(unit)
                        };
                        out.push(
                            ch.unwrap_or(char::REPLACEMENT_CHARACTER),
                            (t.spans[i].0, t.spans[end - 1].1),
                        );
                        used |= ESCAPE;
                        i = end;
                        continue;
                    }
                }
                '\\' | '"' | '/' | '\'' => {
                    out.push(c[i + 1], (t.spans[i].0, t.spans[i + 1].1));
                    used |= ESCAPE;
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        if c[i] == '&' {
            if let Some((ch, len)) = entity(&c[i..n.min(i + 34)]) {
                out.push(ch, (t.spans[i].0, t.spans[i + len - 1].1));
                used |= HTML;
                i += len;
                continue;
            }
        }
        out.push(c[i], t.spans[i]);
        i += 1;
    }
    if used == 0 {
        return None;
    }
    let mut layers = Vec::new();
    if used & URL != 0 {
        layers.push("url");
    }
    if used & ESCAPE != 0 {
        layers.push("escape");
    }
    if used & HTML != 0 {
        layers.push("html");
    }
    Some((out, layers))
}

fn hex4(c: &[char]) -> Option<u32> {
    if c.len() < 4 {
        return None;
    }
    let mut v = 0;
    for &x in &c[..4] {
        v = v * 16 + hex(x)?;
    }
    Some(v)
}

/// An HTML character reference at the start of `c` (which starts with
/// `&`): the character and how many chars it took.
fn entity(c: &[char]) -> Option<(char, usize)> {
    if c.get(1) == Some(&'#') {
        let (radix, start) = match c.get(2) {
            Some('x' | 'X') => (16, 3),
            _ => (10, 2),
        };
        let mut v: u32 = 0;
        let mut j = start;
        while j < c.len() && j < start + 8 {
            let Some(d) = c[j].to_digit(radix) else { break };
            v = v.checked_mul(radix)?.checked_add(d)?;
            j += 1;
        }
        if j == start {
            return None;
        }
        if c.get(j) == Some(&';') {
            j += 1;
        }
        return Some((char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER), j));
    }
    let end = c.iter().position(|&x| x == ';')?;
    let name: String = c[1..end].iter().collect();
    let ch = match name.as_str() {
        "dollar" => '$',
        "lbrace" | "lcub" => '{',
        "rbrace" | "rcub" => '}',
        "colon" => ':',
        "sol" => '/',
        "bsol" => '\\',
        "period" => '.',
        "amp" | "AMP" => '&',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "num" => '#',
        "percnt" => '%',
        "lowbar" => '_',
        "hyphen" | "dash" => '-',
        "equals" => '=',
        "excl" => '!',
        "quest" => '?',
        "commat" => '@',
        "plus" => '+',
        "comma" => ',',
        "semi" => ';',
        "lpar" => '(',
        "rpar" => ')',
        "lsqb" | "lbrack" => '[',
        "rsqb" | "rbrack" => ']',
        "Hat" => '^',
        "grave" => '`',
        "verbar" | "vert" => '|',
        "ast" => '*',
        _ => return None,
    };
    Some((ch, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> (String, Vec<&'static str>) {
        let (m, l) = peel(Mapped::from_bytes(s.as_bytes()), 6);
        (m.chars.iter().collect(), l)
    }

    #[test]
    fn layers() {
        assert_eq!(dec("%24%7Bjndi:ldap://x%7D").0, "${jndi:ldap://x}");
        assert_eq!(dec("$%7Bjndi:x%7D").0, "${jndi:x}");
        assert_eq!(
            dec("%2524%257Bjndi%257D"),
            ("${jndi}".into(), vec!["url", "url"])
        );
        assert_eq!(dec("\\u0024\\u007bjndi\\u007d").0, "${jndi}");
        assert_eq!(
            dec("\\\\u0024{x}"),
            ("${x}".into(), vec!["escape", "escape"])
        );
        assert_eq!(dec("\\x24\\x7bx\\x7d").0, "${x}");
        assert_eq!(dec("&#36;&#x7B;x&rbrace;").0, "${x}");
        assert_eq!(dec("&dollar;&lbrace;x&rcub;").0, "${x}");
        assert_eq!(dec("&amp;#36;{x}").0, "${x}");
        assert_eq!(dec("%C4%B1").0, "ı");
        assert_eq!(dec("%u0024%u007Bx}").0, "${x}");
        assert_eq!(dec("\\ud83d\\ude00").0, "😀");
        assert_eq!(dec("100% sure & 50%").0, "100% sure & 50%");
    }

    #[test]
    fn raw_offsets_follow_the_layers() {
        let raw = "ab%2524%257Bx%257D";
        let (m, _) = peel(Mapped::from_bytes(raw.as_bytes()), 6);
        assert_eq!(m.chars.iter().collect::<String>(), "ab${x}");
        assert_eq!(m.raw_range(2, 6), (2, raw.len() as u32));
        assert_eq!(m.raw_range(2, 3), (2, 7));
    }
}
