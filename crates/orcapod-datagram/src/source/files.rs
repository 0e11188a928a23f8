//! File-backed sources: CSV, Parquet, Arrow IPC, and folders of files.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, LargeStringArray, RecordBatch};
use arrow_schema::{Field as ArrowField, Schema as ArrowSchema, SchemaRef};

use super::{Source, SourceOptions, SourceOrigin, build};
use crate::error::{DatagramError, Result};
use crate::types::DataType;

/// A tabular file format orcapod reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC, file (`ARROW1` magic) or stream format.
    Ipc,
}

impl FileFormat {
    /// Guess the format from the file extension.
    pub fn from_path(path: &Path) -> Result<FileFormat> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(FileFormat::Csv),
            Some("parquet" | "pq") => Ok(FileFormat::Parquet),
            Some("arrow" | "feather" | "ipc" | "arrows") => Ok(FileFormat::Ipc),
            _ => Err(DatagramError::UnknownFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| DatagramError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn malformed(path: &Path, format: &'static str, reason: impl ToString) -> DatagramError {
    DatagramError::MalformedFile {
        path: path.to_path_buf(),
        format,
        reason: reason.to_string(),
    }
}

/// Read a whole tabular file: its schema and record batches.
///
/// CSV column types are inferred from the data and a column is nullable exactly when it holds an
/// empty value; Parquet and Arrow IPC keep their declared schema.
pub fn read_table(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    match FileFormat::from_path(path)? {
        FileFormat::Csv => read_csv(path),
        FileFormat::Parquet => read_parquet(path),
        FileFormat::Ipc => read_ipc(path),
    }
}

fn read_csv(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let format = arrow_csv::reader::Format::default().with_header(true);
    let mut file = open(path)?;
    let (schema, _) = format
        .infer_schema(BufReader::new(&mut file), None)
        .map_err(|e| malformed(path, "CSV", e))?;
    file.rewind().map_err(|source| DatagramError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let schema = Arc::new(schema);
    let reader = arrow_csv::ReaderBuilder::new(schema.clone())
        .with_format(format)
        .build(BufReader::new(file))
        .map_err(|e| malformed(path, "CSV", e))?;
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| malformed(path, "CSV", e))?;
    let batch = arrow_select::concat::concat_batches(&schema, &batches)?;
    // Nullability from the data, as orcapod-python's CSV source infers it.
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(f, c)| f.as_ref().clone().with_nullable(c.null_count() > 0))
        .collect();
    let schema = Arc::new(ArrowSchema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), batch.columns().to_vec())?;
    Ok((schema, vec![batch]))
}

fn read_parquet(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(open(path)?)
            .map_err(|e| malformed(path, "Parquet", e))?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(|e| malformed(path, "Parquet", e))?;
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| malformed(path, "Parquet", e))?;
    Ok((schema, batches))
}

fn read_ipc(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let mut file = open(path)?;
    let mut magic = [0u8; 6];
    let is_file_format = file.read_exact(&mut magic).is_ok() && &magic == b"ARROW1";
    file.rewind().map_err(|source| DatagramError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if is_file_format {
        let reader = arrow_ipc::reader::FileReader::try_new(file, None)
            .map_err(|e| malformed(path, "Arrow IPC", e))?;
        let schema = reader.schema();
        let batches = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| malformed(path, "Arrow IPC", e))?;
        Ok((schema, batches))
    } else {
        let reader = arrow_ipc::reader::StreamReader::try_new(BufReader::new(file), None)
            .map_err(|e| malformed(path, "Arrow IPC", e))?;
        let schema = reader.schema();
        let batches = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| malformed(path, "Arrow IPC", e))?;
        Ok((schema, batches))
    }
}

impl Source {
    /// A source from a CSV, Parquet or Arrow IPC file, chosen by extension. The default
    /// source id is the path as given (orcapod-python's CSV source rule, applied to every file).
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("orcapod-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("subjects.csv");
    /// std::fs::write(&path, "subject,age\ns1,31\ns2,27\n").unwrap();
    /// let src = orcapod_datagram::Source::from_file(&path, orcapod_datagram::SourceOptions::new(["subject"])).unwrap();
    /// assert_eq!(src.stream().num_rows(), 2);
    /// assert_eq!(src.source_id(), path.to_string_lossy());
    /// ```
    pub fn from_file(path: impl AsRef<Path>, options: SourceOptions) -> Result<Source> {
        let path = path.as_ref();
        let format = FileFormat::from_path(path)?;
        let (schema, batches) = read_table(path)?;
        let batch = arrow_select::concat::concat_batches(&schema, &batches)?;
        let (kind, origin) = match format {
            FileFormat::Csv => ("CSVSource", SourceOrigin::Csv(path.to_path_buf())),
            FileFormat::Parquet => ("ParquetSource", SourceOrigin::Parquet(path.to_path_buf())),
            FileFormat::Ipc => ("ArrowIpcSource", SourceOrigin::Ipc(path.to_path_buf())),
        };
        let label = path.display().to_string();
        build(kind, origin, batch, options, Some(label))
    }

    /// A source with one row per regular file in `dir` (sorted by name; not recursive), optionally
    /// only files with the given extension. Tag column `name` holds the file name; packet column
    /// `path` is path-typed, so the packet is identified by the file's *content*.
    ///
    /// The default source id is the directory path as given.
    pub fn from_directory(
        dir: impl AsRef<Path>,
        extension: Option<&str>,
        options: SourceOptions,
    ) -> Result<Source> {
        let dir = dir.as_ref();
        let (names, paths) = list_files(dir, |p| {
            extension.is_none_or(|ext| p.extension().and_then(|e| e.to_str()) == Some(ext))
        })?;
        let fields = vec![
            DataType::Str.to_arrow_field("name", false),
            DataType::Path.to_arrow_field("path", false),
        ];
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(LargeStringArray::from_iter_values(names)),
            Arc::new(LargeStringArray::from_iter_values(paths)),
        ];
        let options = with_default_tags(options, &["name".to_string()]);
        let origin = SourceOrigin::Directory {
            path: dir.to_path_buf(),
            pattern: None,
            extension: extension.map(str::to_string),
        };
        directory_source(origin, fields, arrays, options)
    }

    /// A source with one row per file of `dir` whose name matches `pattern`, a file-name
    /// template such as `"{subject}_{session}.txt"`: every `{field}` becomes a string tag column
    /// holding that part of the name, and packet column `path` (path-typed) names the file.
    /// Files that do not match are skipped. Tag columns default to the template's fields.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("m01_s1.txt"), "1.0\n").unwrap();
    /// std::fs::write(dir.path().join("notes.md"), "ignored").unwrap();
    /// let src = orcapod_datagram::Source::from_directory_pattern(
    ///     dir.path(), "{subject}_{session}.txt", orcapod_datagram::SourceOptions::default()).unwrap();
    /// assert_eq!(src.stream().tag_columns(), ["subject", "session"]);
    /// let (tag, _) = src.stream().row(0).unwrap();
    /// assert_eq!(tag.get("session").unwrap(), Some(orcapod_datagram::Value::Str("s1".into())));
    /// ```
    pub fn from_directory_pattern(
        dir: impl AsRef<Path>,
        pattern: &str,
        options: SourceOptions,
    ) -> Result<Source> {
        let dir = dir.as_ref();
        let template = Template::parse(pattern)?;
        let (names, paths) = list_files(dir, |p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| template.matches(n).is_some())
        })?;
        let mut columns: Vec<Vec<String>> =
            vec![Vec::with_capacity(names.len()); template.fields.len()];
        for name in &names {
            for (c, v) in columns
                .iter_mut()
                .zip(template.matches(name).unwrap_or_default())
            {
                c.push(v);
            }
        }
        let mut fields: Vec<ArrowField> = template
            .fields
            .iter()
            .map(|f| DataType::Str.to_arrow_field(f, false))
            .collect();
        fields.push(DataType::Path.to_arrow_field("path", false));
        let mut arrays: Vec<ArrayRef> = columns
            .into_iter()
            .map(|c| Arc::new(LargeStringArray::from_iter_values(c)) as ArrayRef)
            .collect();
        arrays.push(Arc::new(LargeStringArray::from_iter_values(paths)));
        let options = with_default_tags(options, &template.fields);
        let origin = SourceOrigin::Directory {
            path: dir.to_path_buf(),
            pattern: Some(pattern.to_string()),
            extension: None,
        };
        directory_source(origin, fields, arrays, options)
    }
}

fn with_default_tags(options: SourceOptions, tags: &[String]) -> SourceOptions {
    if options.tag_columns.is_empty() {
        SourceOptions {
            tag_columns: tags.to_vec(),
            ..options
        }
    } else {
        options
    }
}

fn directory_source(
    origin: SourceOrigin,
    fields: Vec<ArrowField>,
    arrays: Vec<ArrayRef>,
    options: SourceOptions,
) -> Result<Source> {
    let rows = arrays.first().map_or(0, |a| a.len());
    let default_id = match &origin {
        SourceOrigin::Directory { path, .. } => Some(path.display().to_string()),
        _ => None,
    };
    let batch = RecordBatch::try_new_with_options(
        Arc::new(ArrowSchema::new(fields)),
        arrays,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows)),
    )?;
    build("DirectorySource", origin, batch, options, default_id)
}

/// A file-name template: literal text with `{field}` placeholders.
struct Template {
    literals: Vec<String>,
    fields: Vec<String>,
}

impl Template {
    fn parse(pattern: &str) -> Result<Template> {
        let bad = |reason: &str| DatagramError::InvalidOption {
            option: format!("pattern '{pattern}'"),
            reason: reason.into(),
        };
        let mut literals = vec![String::new()];
        let mut fields: Vec<String> = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c == '{' {
                let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(bad("each {field} needs a name of letters, digits or '_'"));
                }
                if fields.contains(&name) {
                    return Err(bad("a field appears twice"));
                }
                if !fields.is_empty() && literals.last().is_some_and(String::is_empty) {
                    return Err(bad("two fields must be separated by literal text"));
                }
                fields.push(name);
                literals.push(String::new());
            } else if let Some(last) = literals.last_mut() {
                last.push(c);
            }
        }
        if fields.is_empty() {
            return Err(bad("it has no {field}"));
        }
        Ok(Template { literals, fields })
    }

    /// The field values if `name` matches: each field takes the shortest non-empty text up to
    /// the next literal (the last field runs to the final literal suffix).
    fn matches(&self, name: &str) -> Option<Vec<String>> {
        let mut rest = name.strip_prefix(self.literals[0].as_str())?;
        let mut values = Vec::with_capacity(self.fields.len());
        let n = self.literals.len();
        for (i, lit) in self.literals[1..].iter().enumerate() {
            let end = if i + 2 == n {
                if lit.is_empty() {
                    rest.len()
                } else {
                    rest.strip_suffix(lit.as_str())?.len()
                }
            } else {
                rest.get(1..)?.find(lit.as_str())? + 1
            };
            if end == 0 {
                return None;
            }
            values.push(rest[..end].to_string());
            rest = &rest[end + lit.len()..];
        }
        rest.is_empty().then_some(values)
    }
}

/// Regular files of `dir` accepted by `keep`, sorted by name: (file names, full paths).
fn list_files(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<(Vec<String>, Vec<String>)> {
    let io = |source| DatagramError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_file() && keep(&path) {
            files.push(path);
        }
    }
    files.sort();
    let names = files
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let paths = files
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    Ok((names, paths))
}

#[cfg(test)]
mod tests {
    use super::Template;

    #[test]
    fn templates_match_and_reject() {
        let t = Template::parse("{subject}_{session}.txt").unwrap();
        assert_eq!(
            t.matches("m01_s1.txt"),
            Some(vec!["m01".to_string(), "s1".to_string()])
        );
        assert_eq!(
            t.matches("m01_s1_x.txt"),
            Some(vec!["m01".to_string(), "s1_x".to_string()])
        );
        assert_eq!(t.matches("m01.txt"), None);
        assert_eq!(t.matches("_s1.txt"), None);
        assert_eq!(t.matches("m01_s1.csv"), None);
        assert!(Template::parse("{a}{b}").is_err());
        assert!(Template::parse("plain.txt").is_err());
        assert!(Template::parse("{a}_{a}").is_err());
    }
}
