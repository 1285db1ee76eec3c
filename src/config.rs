//! Layered configuration: defaults, then `DATA/clinicbox.toml`, then
//! `CLINICBOX_*` environment variables and command-line flags (clap merges
//! those two, flags winning).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::kit::error::{Error, ErrorCode, Result};

pub const DEFAULT_DATA_DIR: &str = "./clinicbox-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const CONFIG_FILE_NAME: &str = "clinicbox.toml";
/// The data directory's folder of attachments (a backup carries it whole).
pub const FILES_DIR: &str = "files";

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// The address staff type into the browser, e.g. `https://clinic.example`.
    /// Used for printed links and to decide whether cookies are `Secure`.
    pub public_url: Option<String>,
    /// `synchronous=FULL` (the default) makes an acknowledged write survive
    /// power loss; `NORMAL` trades that for speed.
    pub synchronous_full: bool,
    /// ISO 3166 region used to read phone numbers written without a country code.
    pub phone_region: String,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    pub trust_proxy_headers: bool,
    /// The proxies whose `X-Forwarded-For` is believed: the client is the
    /// right-most address in it that is not one of these.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How old `snapshots/latest` may get; 0 turns rolling snapshots off.
    pub snapshot_interval_minutes: u64,
    /// Days for which the last snapshot of each day is kept.
    pub snapshot_keep_days: i64,
    /// Video visits get an unguessable room under this address.
    pub video_base_url: String,
    /// A browser session unused for this long ends (it also ends 12 hours
    /// after sign-in, however busy).
    pub session_idle_minutes: i64,
    /// How long a bearer sign-in lasts at most, however often its refresh
    /// token is exchanged.
    pub refresh_lifetime_days: i64,
    /// Whether the server speaks HTTPS itself, and with which certificate.
    pub tls: TlsMode,
    /// The clinic's own certificate chain and key (PEM); both or neither.
    pub tls_files: Option<TlsFiles>,
    /// The largest attachment accepted, in MiB (413 above it).
    pub max_upload_mb: u64,
    /// How often a live-events socket is pinged: proxies drop quiet
    /// connections, and a peer that stops answering is let go.
    pub events_ping_seconds: u64,
    /// Where email goes: `smtp://host:port`, `smtps://…`, `smtp://…?tls=required`,
    /// credentials in the URL. None: no email.
    pub smtp_url: Option<Redacted>,
    /// The sender of the clinic's email, e.g. `Riverside Physio <desk@riverside.example>`.
    pub smtp_from: Option<String>,
    /// A gateway for SMS and WhatsApp: each message is POSTed there as signed JSON.
    pub sms_webhook_url: Option<String>,
    /// The shared secret of the gateway's `X-Clinicbox-Signature`.
    pub sms_webhook_secret: Option<Redacted>,
    /// Twilio instead of a gateway: the account, its key and the sending number.
    pub twilio: Option<Twilio>,
}

/// Twilio's Messages API, for SMS and WhatsApp without a gateway of one's own.
#[derive(Clone, Debug)]
pub struct Twilio {
    pub account_sid: String,
    pub auth_token: Redacted,
    /// The clinic's number in E.164 (WhatsApp sends from `whatsapp:` + it).
    pub from: String,
    /// `https://api.twilio.com` unless set (a stand-in in tests).
    pub base_url: String,
}

/// A setting that holds a credential: printed as `***`, never as itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted(pub String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// `tls` in the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// HTTPS when listening beyond this machine (with `tls_cert`/`tls_key`,
    /// or else a generated certificate), plain HTTP on loopback.
    Auto,
    /// Plain HTTP on any address: a proxy in front speaks HTTPS.
    Off,
    /// HTTPS even on loopback.
    On,
}

#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What `clinicbox.toml` may hold. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FileConfig {
    listen: Option<String>,
    public_url: Option<String>,
    synchronous: Option<String>,
    phone_region: Option<String>,
    trust_proxy_headers: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    snapshot_interval_minutes: Option<u64>,
    snapshot_keep_days: Option<i64>,
    video_base_url: Option<String>,
    session_idle_minutes: Option<i64>,
    refresh_lifetime_days: Option<i64>,
    tls: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    max_upload_mb: Option<u64>,
    events_ping_seconds: Option<u64>,
    smtp_url: Option<String>,
    smtp_from: Option<String>,
    sms_webhook_url: Option<String>,
    sms_webhook_secret: Option<String>,
    twilio_account_sid: Option<String>,
    twilio_auth_token: Option<String>,
    twilio_from: Option<String>,
    twilio_base_url: Option<String>,
}

const KNOWN_KEYS: &[&str] = &[
    "listen",
    "public_url",
    "synchronous",
    "phone_region",
    "trust_proxy_headers",
    "trusted_proxies",
    "snapshot_interval_minutes",
    "snapshot_keep_days",
    "video_base_url",
    "session_idle_minutes",
    "refresh_lifetime_days",
    "tls",
    "tls_cert",
    "tls_key",
    "max_upload_mb",
    "events_ping_seconds",
    "smtp_url",
    "smtp_from",
    "sms_webhook_url",
    "sms_webhook_secret",
    "twilio_account_sid",
    "twilio_auth_token",
    "twilio_from",
    "twilio_base_url",
];

/// Values already merged from flags and environment by clap.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub synchronous: Option<String>,
    pub phone_region: Option<String>,
    pub tls: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub max_upload_mb: Option<u64>,
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
    pub sms_webhook_url: Option<String>,
    pub sms_webhook_secret: Option<String>,
}

impl Config {
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            listen: DEFAULT_LISTEN.parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080))),
            public_url: None,
            synchronous_full: true,
            phone_region: "GB".to_owned(),
            trust_proxy_headers: false,
            trusted_proxies: vec![std::net::Ipv4Addr::LOCALHOST.into(), std::net::Ipv6Addr::LOCALHOST.into()],
            snapshot_interval_minutes: 15,
            snapshot_keep_days: 7,
            video_base_url: "https://meet.jit.si/".to_owned(),
            session_idle_minutes: 30,
            refresh_lifetime_days: 30,
            tls: TlsMode::Auto,
            tls_files: None,
            max_upload_mb: 25,
            events_ping_seconds: 25,
            smtp_url: None,
            smtp_from: None,
            sms_webhook_url: None,
            sms_webhook_secret: None,
            twilio: None,
        }
    }

    /// Builds the configuration for a data directory, reading its optional
    /// `clinicbox.toml` and applying overrides. Unknown keys are warned about,
    /// not fatal, so an older binary still starts on a newer file.
    pub fn load(data_dir: &Path, overrides: &Overrides) -> Result<Self> {
        let mut config = Self::for_data_dir(data_dir);
        let file_path = data_dir.join(CONFIG_FILE_NAME);
        let file = match std::fs::read_to_string(&file_path) {
            Ok(text) => parse_file(&text).map_err(|e| invalid(format!("{}: {e}", file_path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
            Err(e) => return Err(Error::internal_from(format!("cannot read {}", file_path.display()), e)),
        };
        let listen = overrides.listen.clone().or(file.listen);
        if let Some(listen) = listen {
            config.listen =
                listen.parse().map_err(|_| invalid(format!("listen address {listen:?} is not HOST:PORT")))?;
        }
        config.public_url = overrides.public_url.clone().or(file.public_url);
        if let Some(sync) = overrides.synchronous.clone().or(file.synchronous) {
            config.synchronous_full = match sync.to_ascii_lowercase().as_str() {
                "full" => true,
                "normal" => false,
                other => return Err(invalid(format!("synchronous must be \"full\" or \"normal\", not {other:?}"))),
            };
        }
        if let Some(region) = overrides.phone_region.clone().or(file.phone_region) {
            let region = region.to_ascii_uppercase();
            if region.parse::<phonenumber::country::Id>().is_err() {
                return Err(invalid(format!("phone_region {region:?} is not an ISO 3166 country code")));
            }
            config.phone_region = region;
        }
        if let Some(trust) = file.trust_proxy_headers {
            config.trust_proxy_headers = trust;
        }
        if let Some(proxies) = file.trusted_proxies {
            config.trusted_proxies = proxies
                .iter()
                .map(|text| {
                    text.parse().map_err(|_| invalid(format!("trusted_proxies: {text:?} is not an IP address")))
                })
                .collect::<Result<_>>()?;
        }
        if let Some(base) = file.video_base_url {
            if !base.starts_with("https://") && !base.starts_with("http://") {
                return Err(invalid("video_base_url must be an http(s) address"));
            }
            config.video_base_url = base;
        }
        if let Some(minutes) = file.snapshot_interval_minutes {
            config.snapshot_interval_minutes = minutes;
        }
        if let Some(days) = file.snapshot_keep_days {
            if days < 1 {
                return Err(invalid("snapshot_keep_days must be 1 or more"));
            }
            config.snapshot_keep_days = days;
        }
        if let Some(minutes) = file.session_idle_minutes {
            if !(1..=24 * 60).contains(&minutes) {
                return Err(invalid("session_idle_minutes must be from 1 to 1440"));
            }
            config.session_idle_minutes = minutes;
        }
        if let Some(days) = file.refresh_lifetime_days {
            if !(1..=365).contains(&days) {
                return Err(invalid("refresh_lifetime_days must be from 1 to 365"));
            }
            config.refresh_lifetime_days = days;
        }
        if let Some(mode) = overrides.tls.clone().or(file.tls) {
            config.tls = match mode.to_ascii_lowercase().as_str() {
                "auto" => TlsMode::Auto,
                "off" => TlsMode::Off,
                "on" => TlsMode::On,
                other => return Err(invalid(format!("tls must be \"auto\", \"on\" or \"off\", not {other:?}"))),
            };
        }
        if let Some(mb) = overrides.max_upload_mb.or(file.max_upload_mb) {
            if !(1..=1024).contains(&mb) {
                return Err(invalid("max_upload_mb must be from 1 to 1024"));
            }
            config.max_upload_mb = mb;
        }
        if let Some(seconds) = file.events_ping_seconds {
            if !(1..=3600).contains(&seconds) {
                return Err(invalid("events_ping_seconds must be from 1 to 3600"));
            }
            config.events_ping_seconds = seconds;
        }
        if let Some(url) = overrides.smtp_url.clone().or(file.smtp_url) {
            if !["smtp://", "smtps://"].iter().any(|scheme| url.starts_with(scheme)) {
                return Err(invalid("smtp_url must start with smtp:// or smtps://"));
            }
            config.smtp_url = Some(Redacted(url));
        }
        config.smtp_from = overrides.smtp_from.clone().or(file.smtp_from);
        if config.smtp_url.is_some() && config.smtp_from.is_none() {
            return Err(invalid("smtp_url needs smtp_from: the address the clinic's email comes from"));
        }
        if let Some(url) = overrides.sms_webhook_url.clone().or(file.sms_webhook_url) {
            if !url.starts_with("https://") && !url.starts_with("http://") {
                return Err(invalid("sms_webhook_url must be an http(s) address"));
            }
            config.sms_webhook_url = Some(url);
        }
        config.sms_webhook_secret = overrides.sms_webhook_secret.clone().or(file.sms_webhook_secret).map(Redacted);
        if config.sms_webhook_url.is_some() && config.sms_webhook_secret.is_none() {
            return Err(invalid("sms_webhook_url needs sms_webhook_secret to sign what it sends"));
        }
        config.twilio = match (file.twilio_account_sid, file.twilio_auth_token, file.twilio_from) {
            (Some(account_sid), Some(token), Some(from)) => Some(Twilio {
                account_sid,
                auth_token: Redacted(token),
                from,
                base_url: file.twilio_base_url.unwrap_or_else(|| "https://api.twilio.com".to_owned()),
            }),
            (None, None, None) => None,
            _ => return Err(invalid("twilio_account_sid, twilio_auth_token and twilio_from go together")),
        };
        // A relative path in the file is read from the data directory.
        let in_data_dir = |path: PathBuf| if path.is_relative() { data_dir.join(path) } else { path };
        let cert = overrides.tls_cert.clone().or(file.tls_cert.map(in_data_dir));
        let key = overrides.tls_key.clone().or(file.tls_key.map(in_data_dir));
        config.tls_files = match (cert, key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            _ => return Err(invalid("tls_cert and tls_key go together: set both or neither")),
        };
        if config.tls == TlsMode::Off && config.tls_files.is_some() {
            return Err(invalid("tls = \"off\" leaves tls_cert and tls_key unused: remove one or the other"));
        }
        Ok(config)
    }

    /// Whether the server itself answers in HTTPS.
    pub fn serves_https(&self) -> bool {
        match self.tls {
            TlsMode::On => true,
            TlsMode::Off => false,
            TlsMode::Auto => self.tls_files.is_some() || !self.listen.ip().is_loopback(),
        }
    }

    /// `Strict-Transport-Security` is sent when staff reach the server over
    /// https, so a browser never tries plain http for it again.
    pub fn sends_hsts(&self) -> bool {
        self.cookies_secure()
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("clinicbox.db")
    }

    pub fn index_path(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Where attachments are kept, by the SHA-256 of their bytes.
    pub fn files_path(&self) -> PathBuf {
        self.data_dir.join(FILES_DIR)
    }

    pub fn max_upload_bytes(&self) -> usize {
        usize::try_from(self.max_upload_mb.min(1024)).unwrap_or(1024) << 20
    }

    pub fn cookies_secure(&self) -> bool {
        match &self.public_url {
            Some(url) => url.starts_with("https://"),
            None => self.serves_https(),
        }
    }

    /// The base URL printed for people to open.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("{}://{}", if self.serves_https() { "https" } else { "http" }, self.listen),
        }
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::bad_request(ErrorCode::InvalidConfig, message)
}

fn parse_file(text: &str) -> std::result::Result<FileConfig, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.message().to_owned())?;
    for key in table.keys() {
        if !KNOWN_KEYS.contains(&key.as_str()) {
            tracing::warn!(key = %key, "unknown key in {CONFIG_FILE_NAME}; ignored");
        }
    }
    toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| e.message().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_apply_and_overrides_win() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(CONFIG_FILE_NAME),
            "listen = \"127.0.0.1:9000\"\nsynchronous = \"normal\"\nphone_region = \"us\"\nmystery = 1\n",
        )
        .unwrap();
        let config = Config::load(dir.path(), &Overrides::default()).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert!(!config.synchronous_full);
        assert_eq!(config.phone_region, "US");

        let overrides = Overrides { listen: Some("127.0.0.1:9100".into()), ..Default::default() };
        let config = Config::load(dir.path(), &overrides).unwrap();
        assert_eq!(config.listen.port(), 9100);
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "synchronous = \"sometimes\"\n").unwrap();
        let err = Config::load(dir.path(), &Overrides::default()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidConfig);
        assert!(err.to_string().contains("synchronous"), "{err}");
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "phone_region = \"ZZ\"\n").unwrap();
        assert!(Config::load(dir.path(), &Overrides::default()).is_err());
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "trusted_proxies = [\"10.0.0.1\", \"proxy\"]\n").unwrap();
        let err = Config::load(dir.path(), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("\"proxy\" is not an IP address"), "{err}");
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "session_idle_minutes = 0\n").unwrap();
        let err = Config::load(dir.path(), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("session_idle_minutes"), "{err}");
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "trusted_proxies = [\"10.0.0.1\", \"::1\"]\n").unwrap();
        let config = Config::load(dir.path(), &Overrides::default()).unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
    }

    #[test]
    fn the_shipped_example_file_is_valid() {
        let dir = tempfile::tempdir().unwrap();
        let example = include_str!("../packaging/clinicbox.toml.example");
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), example).unwrap();
        let config = Config::load(dir.path(), &Overrides::default()).unwrap();
        assert_eq!(config.listen.port(), 8080);
        assert!(config.synchronous_full);
    }

    #[test]
    fn https_is_served_beyond_loopback_unless_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let load = |overrides: Overrides| Config::load(dir.path(), &overrides);
        let on_loopback = load(Overrides::default()).unwrap();
        assert!(!on_loopback.serves_https() && !on_loopback.cookies_secure());
        let network = Overrides { listen: Some("0.0.0.0:8443".into()), ..Default::default() };
        let config = load(network.clone()).unwrap();
        assert!(config.serves_https() && config.cookies_secure());
        assert_eq!(config.base_url(), "https://0.0.0.0:8443");
        let off = load(Overrides { tls: Some("off".into()), ..network }).unwrap();
        assert!(!off.serves_https() && !off.cookies_secure());
        let forced = load(Overrides { tls: Some("ON".into()), ..Default::default() }).unwrap();
        assert!(forced.serves_https());

        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "tls_cert = \"clinic.pem\"\n").unwrap();
        let err = load(Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("tls_cert and tls_key go together"), "{err}");
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "tls_cert = \"clinic.pem\"\ntls_key = \"/etc/k.pem\"\n")
            .unwrap();
        let config = load(Overrides::default()).unwrap();
        let files = config.tls_files.clone().unwrap();
        assert_eq!(files.cert, dir.path().join("clinic.pem"));
        assert_eq!(files.key, PathBuf::from("/etc/k.pem"));
        assert!(config.serves_https(), "a certificate of one's own means https even on loopback");
        std::fs::write(dir.path().join(CONFIG_FILE_NAME), "tls = \"sometimes\"\n").unwrap();
        assert!(load(Overrides::default()).unwrap_err().to_string().contains("tls must be"));
    }

    #[test]
    fn cookies_are_secure_only_behind_https() {
        let mut config = Config::for_data_dir("x");
        assert!(!config.cookies_secure());
        config.public_url = Some("https://clinic.example".into());
        assert!(config.cookies_secure());
    }
}
