//! Packet-function versions: `"v1.3"` → major 1, minor `"3"`.

use std::fmt;

use crate::error::{ExecutorError, Result};

/// The version given when none is: `"v0.0"`.
pub const DEFAULT_VERSION: &str = "v0.0";

/// A parsed function version.
///
/// The grammar is orcapod-python's: optional leading non-digits, the major version digits, a
/// `.`, then any minor string. Only the major version enters identity (`"v{major}"` in the
/// uri); the minor string is recorded but never hashed.
///
/// ```
/// use orcapod_executor::Version;
/// let v = Version::parse("v1.3").unwrap();
/// assert_eq!((v.major(), v.minor()), (1, "3"));
/// let v = Version::parse("1.5.2").unwrap();
/// assert_eq!((v.major(), v.minor()), (1, "5.2"));
/// assert_eq!(Version::parse("v2.0rc").unwrap().minor(), "0rc");
/// assert!(Version::parse("v1").is_err());
/// assert!(Version::parse("no_dots").is_err());
/// assert_eq!(Version::default().to_string(), "v0.0");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    raw: String,
    major: u64,
    minor: String,
}

impl Version {
    /// Parse a version string.
    pub fn parse(version: &str) -> Result<Version> {
        let invalid = |reason: &str| ExecutorError::InvalidVersion {
            version: version.to_string(),
            reason: reason.to_string(),
        };
        let digits_start = version
            .find(|c: char| c.is_ascii_digit())
            .ok_or_else(|| invalid("expected '<prefix><major>.<minor>', found no digits"))?;
        let rest = &version[digits_start..];
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let major = rest[..digits_end]
            .parse::<u64>()
            .map_err(|e| invalid(&format!("major version: {e}")))?;
        let minor = rest[digits_end..]
            .strip_prefix('.')
            .ok_or_else(|| invalid("expected a '.' after the major version (e.g. 'v1.0')"))?;
        Ok(Version {
            raw: version.to_string(),
            major,
            minor: minor.to_string(),
        })
    }

    /// The major version (part of identity).
    pub fn major(&self) -> u64 {
        self.major
    }

    /// The minor version string (not part of identity).
    pub fn minor(&self) -> &str {
        &self.minor
    }

    /// The uri component: `"v{major}"`.
    pub fn uri_component(&self) -> String {
        format!("v{}", self.major)
    }

    /// The string as given.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl Default for Version {
    fn default() -> Self {
        Version {
            raw: DEFAULT_VERSION.to_string(),
            major: 0,
            minor: "0".to_string(),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}
