//! Reading a JSON request body field by field: every bad field is collected
//! with its JSON pointer, and the body is refused whole (a 422 listing them)
//! before anything is stored. Shared by the endpoints that validate bodies
//! by hand (assets, sightings, cases, reports).

use serde_json::{Map, Value};

use crate::problem::{Problem, pointer_push};

/// At most this many field errors are listed in one problem document.
const MAX_LISTED: usize = 100;

/// Field errors found while reading a body.
#[derive(Debug, Default)]
pub(crate) struct FieldErrors {
    listed: Vec<(String, String)>,
    total: usize,
}

impl FieldErrors {
    pub(crate) fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push((pointer.into(), message.into()));
        }
    }

    /// How many errors were recorded (listed or not).
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// The 422 naming every listed field: `N invalid field(s) in the WHAT`.
    pub(crate) fn into_problem(self, what: &str) -> Problem {
        let more = if self.total > self.listed.len() {
            format!(" (the first {} listed)", self.listed.len())
        } else {
            String::new()
        };
        let mut p = Problem::unprocessable(format!(
            "{} invalid field(s) in the {what}{more}; nothing was stored",
            self.total
        ));
        for (pointer, detail) in self.listed {
            p = p.with_error(pointer, detail);
        }
        p
    }

    /// `Ok` when nothing was recorded, else [`FieldErrors::into_problem`].
    pub(crate) fn result(self, what: &str) -> Result<(), Problem> {
        if self.total == 0 {
            Ok(())
        } else {
            Err(self.into_problem(what))
        }
    }
}

/// The body as a JSON object, or a 422 saying the WHAT must be one.
pub(crate) fn object<'a>(doc: &'a Value, what: &str) -> Result<&'a Map<String, Value>, Problem> {
    doc.as_object().ok_or_else(|| {
        Problem::unprocessable(format!("the {what} must be a JSON object"))
            .with_error("", "expected a JSON object")
    })
}

/// Records every member of `obj` not in `known` (`what` names the object:
/// "a case").
pub(crate) fn unknown_members(
    obj: &Map<String, Value>,
    pointer: &str,
    known: &[&str],
    what: &str,
    errors: &mut FieldErrors,
) {
    for key in obj.keys() {
        if !known.contains(&key.as_str()) {
            errors.push(
                pointer_push(pointer, key),
                format!("unknown member: {what} has {}", known.join(", ")),
            );
        }
    }
}

/// Member `key` as a string: `None` when absent or null (an error when
/// `required`) or not a string (the error recorded).
pub(crate) fn string<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    pointer: &str,
    required: bool,
    errors: &mut FieldErrors,
) -> Option<&'a str> {
    match obj.get(key) {
        None | Some(Value::Null) => {
            if required {
                errors.push(pointer_push(pointer, key), "required");
            }
            None
        }
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            errors.push(pointer_push(pointer, key), "must be a string");
            None
        }
    }
}
