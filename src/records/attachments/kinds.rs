//! Which files a record accepts, decided by their bytes (never by the name
//! or the type the browser claims): documents, images, scans and plain text.

/// The types accepted, as `infer` names them, with the name we serve them by.
const ACCEPTED: &[(&str, &str)] = &[
    ("application/pdf", "application/pdf"),
    ("image/png", "image/png"),
    ("image/jpeg", "image/jpeg"),
    ("image/gif", "image/gif"),
    ("image/webp", "image/webp"),
    ("image/heif", "image/heic"),
    ("image/heic", "image/heic"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("application/dicom", "application/dicom"),
];

/// What the list of accepted types reads as, for messages and the spec.
pub const ACCEPTED_NAMES: &str = "PDF, PNG, JPEG, GIF, WebP, HEIC, plain text, Word (.docx), Excel (.xlsx) or DICOM";

/// The content type of a file that starts with `head` (an Office file's parts
/// are named in its first kilobytes), if it is one a record accepts.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if let Some(kind) = infer::get(head) {
        return ACCEPTED.iter().find(|(found, _)| *found == kind.mime_type()).map(|(_, served)| *served);
    }
    is_plain_text(head).then_some("text/plain; charset=utf-8")
}

/// UTF-8 text without control characters other than tabs and line breaks,
/// and not markup (HTML or SVG a browser might run, were it ever shown).
fn is_plain_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A character cut at the end of the head is still text.
        Err(e) if e.error_len().is_none() && e.valid_up_to() + 4 > head.len() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty()
        && !text.trim_start_matches('\u{feff}').trim_start().starts_with('<')
        && text.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F']), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0"), Some("image/gif"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), Some("image/heic"));
        let mut dicom = vec![0u8; 128];
        dicom.extend_from_slice(b"DICM\x02\0");
        assert_eq!(sniff(&dicom), Some("application/dicom"));
        assert_eq!(sniff("Referral: knee pain, 3 weeks.\r\n£ café".as_bytes()), Some("text/plain; charset=utf-8"));
    }

    #[test]
    fn programs_archives_and_markup_are_refused_whatever_their_name() {
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff"), None);
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\0"), None);
        assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0\x08\0readme.txt"), None);
        assert_eq!(sniff(b"  <!DOCTYPE html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"text with a \0 nul"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn a_character_cut_at_the_end_of_the_head_is_still_text() {
        let mut head = "naïve ".repeat(10).into_bytes();
        head.extend_from_slice(&"é".as_bytes()[..1]);
        assert_eq!(sniff(&head), Some("text/plain; charset=utf-8"));
    }
}
