//! File-backed sources: CSV, Parquet, Arrow IPC, and folders of files.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{LargeStringArray, RecordBatch};
use arrow_schema::{Schema as ArrowSchema, SchemaRef};

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
        let entries = std::fs::read_dir(dir).map_err(|source| DatagramError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| DatagramError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            let matches =
                extension.is_none_or(|ext| path.extension().and_then(|e| e.to_str()) == Some(ext));
            if path.is_file() && matches {
                files.push(path);
            }
        }
        files.sort();
        let names: Vec<String> = files
            .iter()
            .map(|p| {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        let paths: Vec<String> = files
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let schema = Arc::new(ArrowSchema::new(vec![
            DataType::Str.to_arrow_field("name", false),
            DataType::Path.to_arrow_field("path", false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(LargeStringArray::from_iter_values(names)),
                Arc::new(LargeStringArray::from_iter_values(paths)),
            ],
        )?;
        let options = if options.tag_columns.is_empty() {
            SourceOptions {
                tag_columns: vec!["name".into()],
                ..options
            }
        } else {
            options
        };
        build(
            "DirectorySource",
            SourceOrigin::Directory(dir.to_path_buf()),
            batch,
            options,
            Some(dir.display().to_string()),
        )
    }
}
