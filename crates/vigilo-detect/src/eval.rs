//! Log4j's variable substitution, emulated.
//! (implementation in progress; the API below is fixed)

/// The marker a JNDI lookup evaluates to: `«jndi:KEY»`. The oracle
/// (`tests/oracle/Log4jOracle.java`) registers a `jndi` lookup that returns
/// exactly this, so outputs compare equal character for character.
pub const JNDI_OPEN: char = '«';
pub const JNDI_CLOSE: char = '»';

/// The result of substituting a string the way Log4j 2's `StrSubstitutor`
/// with its `Interpolator` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// The substituted text; each JNDI lookup appears as `«jndi:KEY»`.
    pub output: String,
    /// The keys the `jndi` lookup was called with, in call order.
    pub jndi: Vec<String>,
    /// Whether evaluation was cut short by a bound (depth, size, steps).
    pub truncated: bool,
}

/// Substitutes `input` as Log4j would, with `lower`, `upper` and `date`
/// (literal patterns) evaluated, `jndi` recorded, every other lookup
/// unresolved (`env`, `sys`, … return nothing, so `:-` defaults apply).
pub fn evaluate(input: &str) -> Evaluation {
    Evaluation { output: input.to_owned(), jndi: Vec::new(), truncated: false }
}
