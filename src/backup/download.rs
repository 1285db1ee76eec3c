//! A snapshot as one downloadable file (a tar of the backup directory), so
//! a manager can keep a copy off this machine from the browser, and
//! `clinicbox restore` takes that file back as it is.
//!
//! The archive is written on a blocking thread into a small bounded channel
//! and streamed from it: a download of a large clinic holds a few chunks in
//! memory, never the whole archive.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use futures_util::Stream;
use tokio::sync::mpsc;

use crate::kit::error::{Error, ErrorCode, Result};

const CHUNK: usize = 64 * 1024;
const CHUNKS_IN_FLIGHT: usize = 4;

/// Bytes handed to the response as they are written.
struct ChannelWriter {
    buffer: Vec<u8>,
    sender: mpsc::Sender<io::Result<Vec<u8>>>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        // The browser went away: stop writing.
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "download cancelled"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buffer.len();
        let taken = room.min(bytes.len());
        self.buffer.extend_from_slice(&bytes[..taken]);
        if self.buffer.len() == CHUNK {
            self.send()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Streams `dir` as a tar archive whose entries sit under `root/`.
pub fn tar_stream(dir: PathBuf, root: String) -> impl Stream<Item = io::Result<Vec<u8>>> + Send + 'static {
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let failed = sender.clone();
        let mut builder = tar::Builder::new(ChannelWriter { buffer: Vec::with_capacity(CHUNK), sender });
        builder.follow_symlinks(false);
        let written =
            builder.append_dir_all(&root, &dir).and_then(|()| builder.into_inner()).and_then(|mut w| w.flush());
        if let Err(err) = written
            && err.kind() != io::ErrorKind::BrokenPipe
        {
            tracing::error!(error = %err, "backup download failed");
            // The response ends in an error rather than as a short, valid-looking file.
            let _ = failed.blocking_send(Err(err));
        }
    });
    futures_util::stream::unfold(
        receiver,
        |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) },
    )
}

/// Unpacks a downloaded archive into `scratch` and returns the backup
/// directory inside it (the archive's one top-level folder).
pub fn unpack(archive: &Path, scratch: &Path) -> Result<PathBuf> {
    let file = std::fs::File::open(archive)
        .map_err(|e| Error::bad_request(ErrorCode::NotABackup, format!("cannot read {}: {e}", archive.display())))?;
    // `unpack` keeps every entry inside `scratch` (no absolute or `..` paths).
    tar::Archive::new(file).unpack(scratch).map_err(|e| {
        Error::bad_request(
            ErrorCode::NotABackup,
            format!("{} is not a Clinicbox backup archive: {e}", archive.display()),
        )
    })?;
    let mut folders = std::fs::read_dir(scratch)
        .map_err(|e| Error::internal(format!("cannot read {}: {e}", scratch.display())))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir());
    match (folders.next(), folders.next()) {
        (Some(folder), None) => Ok(folder),
        _ => Err(Error::bad_request(
            ErrorCode::NotABackup,
            format!("{} does not hold one backup folder", archive.display()),
        )),
    }
}

/// `clinicbox restore FILE`: a downloaded archive, unpacked beside the
/// target, verified and restored like a backup directory, then removed.
pub fn restore_archive(
    archive: &Path,
    data_dir: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<crate::backup::RestoreReport> {
    let name = data_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "data".into());
    let scratch = data_dir.with_file_name(format!(".{name}-unpacking"));
    let _ = std::fs::remove_dir_all(&scratch);
    crate::kit::private::private_dir(&scratch)
        .map_err(|e| Error::internal(format!("cannot create {}: {e}", scratch.display())))?;
    let restored = unpack(archive, &scratch).and_then(|folder| crate::backup::restore(&folder, data_dir, now));
    let _ = std::fs::remove_dir_all(&scratch);
    restored
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn a_directory_streams_as_a_tar_that_unpacks_to_the_same_files() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("snap");
        std::fs::create_dir_all(source.join("files/ab")).unwrap();
        // Larger than several chunks, so the channel's back-pressure is used.
        let big: Vec<u8> = (0..(CHUNK * CHUNKS_IN_FLIGHT * 3)).map(|i| (i % 251) as u8).collect();
        std::fs::write(source.join("clinicbox.db"), &big).unwrap();
        std::fs::write(source.join("files/ab/cdef"), b"attachment").unwrap();
        let mut bytes = Vec::new();
        let mut stream = Box::pin(tar_stream(source.clone(), "clinicbox-backup-x".into()));
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            assert!(chunk.len() <= CHUNK);
            bytes.extend(chunk);
        }
        let archive = dir.path().join("x.tar");
        std::fs::write(&archive, bytes).unwrap();
        let scratch = dir.path().join("out");
        std::fs::create_dir(&scratch).unwrap();
        let unpacked = unpack(&archive, &scratch).unwrap();
        assert_eq!(unpacked.file_name().unwrap(), "clinicbox-backup-x");
        assert_eq!(std::fs::read(unpacked.join("clinicbox.db")).unwrap(), big);
        assert_eq!(std::fs::read(unpacked.join("files/ab/cdef")).unwrap(), b"attachment");

        std::fs::write(&archive, b"not a tar at all, just some text that is long enough").unwrap();
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        assert_eq!(unpack(&archive, &other).unwrap_err().code(), ErrorCode::NotABackup);
    }
}
