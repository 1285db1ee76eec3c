use poem_openapi::Object;

/// A started enrolment: put the secret into an authenticator app (scan the
/// QR code of `otpauth_uri`), then confirm with the code it shows.
#[derive(Object)]
pub struct TotpEnrolment {
    /// Base32, for typing into the app by hand.
    pub secret: String,
    /// `otpauth://totp/...`, what the QR code holds.
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri` as an SVG image.
    pub qr_svg: String,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct TotpCode {
    /// The six digits the authenticator app shows now.
    #[oai(validator(max_length = 16))]
    pub code: String,
}

/// Codes for signing in without the authenticator, shown once: each works
/// once. Keep them somewhere safe.
#[derive(Object)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
    /// When they were made; older ones stopped working then.
    #[oai(serialize_with = "crate::kit::time::instant_json")]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordConfirmation {
    #[oai(write_only)]
    #[oai(validator(max_length = 512))]
    pub current_password: String,
}

/// MFA on one's own account.
#[derive(Object)]
pub struct MfaStatus {
    pub enabled: bool,
    /// The clinic requires MFA for the caller's role.
    pub required: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}
