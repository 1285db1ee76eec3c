//! The clinic's logo: a small PNG, JPEG or WebP, checked by its bytes (never
//! by what the upload claims), so nothing but an image is ever served back.

use crate::kit::error::{Error, ErrorCode, Result};

/// The largest logo accepted: plenty for a crisp top-bar and print logo.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// The image type the bytes are, if one the logo may be.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Checks an upload declared as `declared`: its size, and that its bytes are that image type.
pub fn check(bytes: &[u8], declared: &str) -> Result<&'static str> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(Error::bad_request(
            ErrorCode::PayloadTooLarge,
            format!("the logo is {} KiB; at most {} KiB is accepted", bytes.len() / 1024, MAX_LOGO_BYTES / 1024),
        ));
    }
    match sniff(bytes) {
        Some(kind) if kind == declared => Ok(kind),
        Some(kind) => Err(unsupported(format!("the file is {kind}, not the {declared} it was sent as"))),
        None => Err(unsupported("the logo must be a PNG, JPEG or WebP image".to_owned())),
    }
}

fn unsupported(message: String) -> Error {
    Error::bad_request(ErrorCode::UnsupportedMediaType, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_images_that_are_what_they_claim_pass() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(check(png, "image/png").unwrap(), "image/png");
        assert_eq!(check(png, "image/jpeg").unwrap_err().code(), ErrorCode::UnsupportedMediaType);
        let script = b"<svg onload=alert(1)>";
        assert_eq!(check(script, "image/png").unwrap_err().code(), ErrorCode::UnsupportedMediaType);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        let big = [png.as_slice(), &vec![0; MAX_LOGO_BYTES]].concat();
        assert_eq!(check(&big, "image/png").unwrap_err().code(), ErrorCode::PayloadTooLarge);
    }
}
