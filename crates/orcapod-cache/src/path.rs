//! Validated table paths.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{PathProblem, Result, StoreError};

/// Maximum number of components of a [`TablePath`] (orcapod-python's `max_hierarchy_depth`).
pub const MAX_PATH_DEPTH: usize = 10;

/// The address of a table in a store: 1 to [`MAX_PATH_DEPTH`] non-empty string components,
/// none containing `/` or NUL.
///
/// ```
/// use orcapod_cache::TablePath;
///
/// let p = TablePath::new(["demo", "_result", "add"])?;
/// assert_eq!(p.to_string(), "demo/_result/add");
/// assert_eq!("demo/_result/add".parse::<TablePath>()?, p);
/// assert!(TablePath::new(Vec::<String>::new()).is_err());
/// assert!(TablePath::new(["a/b"]).is_err());
/// # Ok::<(), orcapod_cache::StoreError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct TablePath(Vec<String>);

impl TablePath {
    /// Validates `components` and builds a path.
    pub fn new<I, S>(components: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let components: Vec<String> = components.into_iter().map(Into::into).collect();
        if let Some(problem) = problem_of(&components) {
            return Err(StoreError::InvalidPath {
                path: components,
                problem,
            });
        }
        Ok(TablePath(components))
    }

    /// The components.
    pub fn components(&self) -> &[String] {
        &self.0
    }

    /// Number of components (always at least 1).
    pub fn depth(&self) -> usize {
        self.0.len()
    }

    /// `self` followed by `other` (validated: the result must not be too deep).
    ///
    /// ```
    /// use orcapod_cache::TablePath;
    /// let p = TablePath::new(["demo"])?.join(&TablePath::new(["_result", "add"])?)?;
    /// assert_eq!(p.components(), ["demo", "_result", "add"]);
    /// # Ok::<(), orcapod_cache::StoreError>(())
    /// ```
    pub fn join(&self, other: &TablePath) -> Result<Self> {
        TablePath::new(self.0.iter().chain(other.0.iter()).cloned())
    }

    /// `self` with one more component.
    pub fn child(&self, component: impl Into<String>) -> Result<Self> {
        TablePath::new(self.0.iter().cloned().chain([component.into()]))
    }

    /// Whether `prefix`'s components are the first components of `self`.
    pub fn starts_with(&self, prefix: &[String]) -> bool {
        self.0.starts_with(prefix)
    }

    /// The components joined by `/` (unambiguous: components never contain `/`).
    pub(crate) fn joined(&self) -> String {
        self.0.join("/")
    }
}

fn problem_of(components: &[String]) -> Option<PathProblem> {
    if components.is_empty() {
        return Some(PathProblem::Empty);
    }
    if components.len() > MAX_PATH_DEPTH {
        return Some(PathProblem::TooDeep {
            depth: components.len(),
            max: MAX_PATH_DEPTH,
        });
    }
    components.iter().enumerate().find_map(|(index, c)| {
        if c.is_empty() {
            Some(PathProblem::EmptyComponent { index })
        } else if c.contains('/') {
            Some(PathProblem::ContainsSlash { index })
        } else if c.contains('\0') {
            Some(PathProblem::ContainsNul { index })
        } else {
            None
        }
    })
}

impl fmt::Display for TablePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.joined())
    }
}

impl FromStr for TablePath {
    type Err = StoreError;

    /// Parses `a/b/c` (split on `/`; empty components are rejected).
    fn from_str(s: &str) -> Result<Self> {
        TablePath::new(s.split('/'))
    }
}

impl TryFrom<Vec<String>> for TablePath {
    type Error = StoreError;

    fn try_from(components: Vec<String>) -> Result<Self> {
        TablePath::new(components)
    }
}

impl TryFrom<&[&str]> for TablePath {
    type Error = StoreError;

    fn try_from(components: &[&str]) -> Result<Self> {
        TablePath::new(components.iter().copied())
    }
}

impl From<TablePath> for Vec<String> {
    fn from(path: TablePath) -> Self {
        path.0
    }
}
