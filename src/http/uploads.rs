//! Files sent as `multipart/form-data`, streamed to disk as they arrive:
//! never held in memory, never written past the size limit, hashed on the
//! way so the bytes are read once.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;
use poem::web::Field;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromMultipartField, ParseResult, Type};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Room for a form's other fields and part headers beside its file.
pub const FORM_OVERHEAD: usize = 64 * 1024;
/// How much of the start of a file is kept in memory to tell its type.
pub const HEAD_BYTES: usize = 64 * 1024;

tokio::task_local! {
    /// Where this request's uploads are written: a folder on the same disk
    /// as the place they end up, so keeping one is a rename.
    static UPLOAD_DIR: PathBuf;
}

/// Runs `call` with uploads written under `dir`.
pub async fn writing_to<F: Future>(dir: PathBuf, call: F) -> F::Output {
    UPLOAD_DIR.scope(dir, call).await
}

/// The body of a multipart request cut at `limit` bytes; `exceeded` says whether it was.
pub fn limited(body: poem::Body, limit: usize, exceeded: Arc<AtomicBool>) -> poem::Body {
    let mut seen = 0usize;
    let stream = body.into_bytes_stream().map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len();
        if seen > limit {
            exceeded.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other("the body is larger than the server accepts"));
        }
        Ok(chunk)
    });
    poem::Body::from_bytes_stream(stream)
}

/// A file that arrived, waiting in the upload folder until it is kept
/// (moved) or dropped (removed).
#[derive(Debug)]
pub struct IncomingFile {
    path: PathBuf,
    file_name: Option<String>,
    size: u64,
    sha256: String,
    head: Vec<u8>,
}

impl IncomingFile {
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Hex SHA-256 of the whole file.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Its first bytes (up to [`HEAD_BYTES`]).
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// Where it waits, written and flushed to disk.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn receive(field: Field) -> std::io::Result<Self> {
        let dir = UPLOAD_DIR
            .try_with(Clone::clone)
            .map_err(|_| std::io::Error::other("no folder for uploads on this route"))?;
        let mut name = [0u8; 16];
        getrandom::fill(&mut name).map_err(std::io::Error::other)?;
        let path = dir.join(format!("upload-{}", hex::encode(name)));
        let mut incoming = IncomingFile {
            path,
            file_name: field.file_name().map(str::to_owned),
            size: 0,
            sha256: String::new(),
            head: Vec::new(),
        };
        let mut out = tokio::fs::File::create(&incoming.path).await?;
        let mut reader = std::pin::pin!(field.into_async_read());
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            let chunk = &buffer[..n];
            hasher.update(chunk);
            let room = HEAD_BYTES.saturating_sub(incoming.head.len());
            incoming.head.extend_from_slice(&chunk[..room.min(n)]);
            out.write_all(chunk).await?;
            incoming.size += n as u64;
        }
        out.sync_all().await?;
        incoming.sha256 = hex::encode(hasher.finalize());
        Ok(incoming)
    }
}

impl Drop for IncomingFile {
    fn drop(&mut self) {
        // Gone already once kept; otherwise nothing is left behind.
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Type for IncomingFile {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_binary".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromMultipartField for IncomingFile {
    async fn parse_from_multipart(field: Option<Field>) -> ParseResult<Self> {
        match field {
            Some(field) => IncomingFile::receive(field).await.map_err(ParseError::custom),
            None => Err(ParseError::expected_input()),
        }
    }
}
