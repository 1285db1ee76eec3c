//! The link in a patient's messages to their appointment. It is signed with
//! the installation's key, so nothing is stored and it cannot be guessed;
//! it names one appointment and one patient, and opens nothing else.

use crate::secret::SecretKey;

/// Where the page for a link lives in the web UI.
const PAGE: &str = "/manage/";

pub fn token(secret: &SecretKey, appointment_id: i64, patient_id: i64) -> String {
    let signature = secret.sign(&[b"manage-appointment", &appointment_id.to_be_bytes(), &patient_id.to_be_bytes()]);
    format!("{appointment_id}-{patient_id}-{}", hex::encode(&signature[..20]))
}

/// The appointment and patient a presented token names, when it is genuine.
pub fn verify(secret: &SecretKey, presented: &str) -> Option<(i64, i64)> {
    let mut parts = presented.splitn(3, '-');
    let appointment_id: i64 = parts.next()?.parse().ok()?;
    let patient_id: i64 = parts.next()?.parse().ok()?;
    let expected = token(secret, appointment_id, patient_id);
    crate::kit::tokens::secrets_match(presented, &expected).then_some((appointment_id, patient_id))
}

/// The full address for a message, or `None` when the clinic has not set
/// `public_url` (a patient cannot follow a link without it).
pub fn url(secret: &SecretKey, public_url: Option<&str>, appointment_id: i64, patient_id: i64) -> Option<String> {
    let base = public_url?.trim_end_matches('/');
    Some(format!("{base}{PAGE}{}", token(secret, appointment_id, patient_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_names_its_appointment_and_patient_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let secret = SecretKey::load_or_create(dir.path()).unwrap();
        let link = token(&secret, 12, 7);
        assert_eq!(verify(&secret, &link), Some((12, 7)));
        let (_, signature) = link.rsplit_once('-').unwrap();
        assert_eq!(verify(&secret, &format!("13-7-{signature}")), None, "another appointment");
        assert_eq!(verify(&secret, &format!("12-8-{signature}")), None, "another patient");
        assert_eq!(verify(&secret, "12-7"), None);
        assert_eq!(verify(&secret, ""), None);
        assert_eq!(url(&secret, None, 12, 7), None);
        assert_eq!(
            url(&secret, Some("https://clinic.example/"), 12, 7),
            Some(format!("https://clinic.example/manage/{link}"))
        );
    }
}
