//! Content hashing of files: a path-typed value is identified by what the file contains,
//! not by where it lives (orcapod-python `BasicFileHasher(sha256, 64 KiB)`).
//!
//! ```
//! use orcapod_hash::file::{hash_bytes, hash_file, FILE_HASH_METHOD};
//!
//! let dir = std::env::temp_dir().join(format!("orcapod-hash-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("hello.txt");
//! std::fs::write(&path, b"hello").unwrap();
//! let h = hash_file(&path).unwrap();
//! assert_eq!(h.method(), FILE_HASH_METHOD);
//! assert_eq!(h, hash_bytes(b"hello"));
//! assert_eq!(
//!     h.to_string(),
//!     "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
//! );
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{ContentHash, HashError, Result};

/// The method id of file-content hashes: the algorithm name, as in orcapod-python.
pub const FILE_HASH_METHOD: &str = "sha256";

/// Read buffer size (64 KiB, like orcapod-python's default).
const CHUNK: usize = 64 * 1024;

/// Streams the file at `path` through SHA-256 in 64 KiB chunks.
///
/// Errors: [`HashError::NotAFile`] when `path` exists but is not a regular file (a
/// directory, for instance; symlinks are followed), [`HashError::Io`] when it is missing or
/// cannot be read.
pub fn hash_file(path: &Path) -> Result<ContentHash> {
    let io = |source| HashError::Io {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io)?;
    if !metadata.is_file() {
        return Err(HashError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let mut file = File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok(ContentHash::new(
        FILE_HASH_METHOD,
        hasher.finalize().to_vec(),
    ))
}

/// The hash a file containing exactly `bytes` would have (same method, same digest).
///
/// ```
/// # use orcapod_hash::file::hash_bytes;
/// assert_eq!(
///     hash_bytes(b"").to_hex(),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// ```
pub fn hash_bytes(bytes: &[u8]) -> ContentHash {
    ContentHash::new(FILE_HASH_METHOD, Sha256::digest(bytes).to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let p = std::env::temp_dir().join(format!(
                "orcapod-hash-file-{tag}-{}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::create_dir_all(&p).unwrap();
            Self(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn same_content_same_hash_regardless_of_path() {
        let dir = TempDir::new("same");
        let a = dir.0.join("a.bin");
        let b = dir.0.join("sub_b.dat");
        let c = dir.0.join("c.bin");
        // Larger than one chunk, not a multiple of it.
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&a, &content).unwrap();
        std::fs::write(&b, &content).unwrap();
        let mut other = content.clone();
        other[150_000] ^= 1;
        std::fs::write(&c, &other).unwrap();
        let ha = hash_file(&a).unwrap();
        assert_eq!(ha, hash_file(&b).unwrap());
        assert_eq!(ha, hash_bytes(&content));
        assert_ne!(ha, hash_file(&c).unwrap());
        assert_eq!(ha.method(), "sha256");
        assert_eq!(ha.digest().len(), 32);
    }

    #[test]
    fn missing_and_directory() {
        let dir = TempDir::new("err");
        let missing = dir.0.join("nope");
        match hash_file(&missing) {
            Err(HashError::Io { path, source }) => {
                assert_eq!(path, missing);
                assert_eq!(source.kind(), ErrorKind::NotFound);
            }
            other => panic!("expected Io, got {other:?}"),
        }
        match hash_file(&dir.0) {
            Err(HashError::NotAFile { path }) => assert_eq!(path, dir.0),
            other => panic!("expected NotAFile, got {other:?}"),
        }
    }
}
