//! A small hand-written command-line parser (`--flag`, `--opt VALUE`, `--opt=VALUE`, positionals).

use std::str::FromStr;

use crate::error::{Result, XtaskError};

/// One parsed command-line item.
#[derive(Debug, PartialEq, Eq)]
pub enum Arg {
    /// `--name` or `--name=value` (the value, if attached, is kept for [`Args::value`]).
    Long(String),
    /// Anything that does not start with `--`.
    Positional(String),
}

/// A cursor over the arguments of one subcommand.
#[derive(Debug)]
pub struct Args {
    command: &'static str,
    items: std::vec::IntoIter<String>,
    attached: Option<String>,
    current: String,
}

impl Args {
    /// Wraps the arguments that follow the subcommand `command` (used in error messages).
    pub fn new(command: &'static str, items: Vec<String>) -> Self {
        Args {
            command,
            items: items.into_iter(),
            attached: None,
            current: String::new(),
        }
    }

    /// The next option or positional, or `None` at the end.
    ///
    /// Errors if the previous `--opt=value` had a value nobody asked for.
    pub fn next_arg(&mut self) -> Result<Option<Arg>> {
        if let Some(value) = self.attached.take() {
            return Err(self.usage(format!(
                "option `{}` takes no value (got `{value}`)",
                self.current
            )));
        }
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        if item == "-h" {
            self.current = "--help".to_owned();
            return Ok(Some(Arg::Long(self.current.clone())));
        }
        if !item.starts_with("--") || item == "--" {
            if item.starts_with('-') && item != "-" && item != "--" {
                return Err(self.usage(format!("unknown option `{item}`")));
            }
            return Ok(Some(Arg::Positional(item)));
        }
        match item.split_once('=') {
            Some((name, value)) => {
                self.current = name.to_owned();
                self.attached = Some(value.to_owned());
            }
            None => self.current = item,
        }
        Ok(Some(Arg::Long(self.current.clone())))
    }

    /// The value of the option just returned by [`Args::next_arg`].
    pub fn value(&mut self) -> Result<String> {
        if let Some(value) = self.attached.take() {
            return Ok(value);
        }
        match self.items.next() {
            Some(value) if !value.starts_with("--") => Ok(value),
            _ => Err(self.usage(format!("option `{}` needs a value", self.current))),
        }
    }

    /// The value of the option just returned, parsed as `T`; `expected` describes `T` for the message.
    pub fn parsed<T: FromStr>(&mut self, expected: &str) -> Result<T> {
        let raw = self.value()?;
        match raw.parse::<T>() {
            Ok(value) => Ok(value),
            Err(_) => Err(self.usage(format!(
                "invalid value `{raw}` for option `{}`: expected {expected}",
                self.current
            ))),
        }
    }

    /// The error for an option this subcommand does not know.
    pub fn unknown(&self, name: &str) -> XtaskError {
        self.usage(format!("unknown option `{name}`"))
    }

    /// A usage error for this subcommand.
    pub fn usage(&self, message: String) -> XtaskError {
        XtaskError::Usage(format!(
            "cargo xtask {}: {message} (see `cargo xtask {} --help`)",
            self.command, self.command
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(items: &[&str]) -> Args {
        Args::new("bench", items.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn parses_flags_values_and_positionals() {
        let mut a = args(&["hash", "--runs", "3", "--json=out.json", "--quick"]);
        assert_eq!(a.next_arg().unwrap(), Some(Arg::Positional("hash".into())));
        assert_eq!(a.next_arg().unwrap(), Some(Arg::Long("--runs".into())));
        assert_eq!(a.parsed::<u32>("a count").unwrap(), 3);
        assert_eq!(a.next_arg().unwrap(), Some(Arg::Long("--json".into())));
        assert_eq!(a.value().unwrap(), "out.json");
        assert_eq!(a.next_arg().unwrap(), Some(Arg::Long("--quick".into())));
        assert_eq!(a.next_arg().unwrap(), None);
    }

    #[test]
    fn bad_values_name_the_option() {
        let mut a = args(&["--runs", "many"]);
        a.next_arg().unwrap();
        let err = a.parsed::<u32>("a count").unwrap_err().to_string();
        assert!(err.contains("`many`") && err.contains("`--runs`"), "{err}");

        let mut a = args(&["--runs"]);
        a.next_arg().unwrap();
        assert!(
            a.value()
                .unwrap_err()
                .to_string()
                .contains("`--runs` needs a value")
        );

        let mut a = args(&["--quick=yes"]);
        a.next_arg().unwrap();
        assert!(
            a.next_arg()
                .unwrap_err()
                .to_string()
                .contains("takes no value")
        );

        let mut a = args(&["-x"]);
        assert!(
            a.next_arg()
                .unwrap_err()
                .to_string()
                .contains("unknown option `-x`")
        );
    }
}
