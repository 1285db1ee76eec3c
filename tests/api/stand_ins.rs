//! Real stand-ins for the services outside Clinicbox, on 127.0.0.1: a small
//! SMTP server that keeps what it is sent (or refuses it, on demand), and an
//! HTTP receiver for the SMS gateway that keeps each request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub struct Mail {
    /// The envelope sender.
    #[allow(dead_code)]
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (dot-stuffing undone).
    pub data: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }
}

#[derive(Clone)]
pub struct SmtpStandIn {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    refusing: Arc<AtomicBool>,
}

impl SmtpStandIn {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stand_in = SmtpStandIn {
            addr: listener.local_addr().unwrap(),
            mails: Default::default(),
            refusing: Default::default(),
        };
        let serving = stand_in.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let serving = serving.clone();
                tokio::spawn(async move {
                    let _ = serving.session(socket).await;
                });
            }
        });
        stand_in
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// While on, every message is refused with a temporary failure.
    pub fn refuse(&self, on: bool) {
        self.refusing.store(on, Ordering::SeqCst);
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 stand-in ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                b"250-stand-in\r\n250 8BITMIME\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                if self.refusing.load(Ordering::SeqCst) {
                    b"451 4.3.0 try again later\r\n"
                } else {
                    from = line[10..].trim().to_owned();
                    to.clear();
                    b"250 OK\r\n"
                }
            } else if upper.starts_with("RCPT TO:") {
                to.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                b"250 OK\r\n"
            } else if upper == "DATA" {
                write.write_all(b"354 end with .\r\n").await?;
                let mut data = String::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
                    data.push('\n');
                }
                self.mails.lock().unwrap().push(Mail { from: from.clone(), to: to.clone(), data });
                b"250 queued\r\n"
            } else if upper == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
                b"250 OK\r\n"
            } else {
                b"502 not here\r\n"
            };
            write.write_all(reply).await?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub signature: Option<String>,
    pub authorization: Option<String>,
    pub body: Vec<u8>,
}

/// An HTTP receiver answering every POST with `status` (202 unless set).
#[derive(Clone)]
pub struct HttpReceiver {
    pub url: String,
    /// The address without a path, for a service whose paths are its own (Twilio).
    pub base: String,
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl HttpReceiver {
    pub async fn start() -> Self {
        use poem::listener::{Acceptor, Listener};
        let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let receiver = HttpReceiver {
            url: format!("http://{addr}/messages"),
            base: format!("http://{addr}"),
            received: Default::default(),
            status: Arc::new(AtomicU16::new(202)),
        };
        let (kept, status) = (receiver.received.clone(), receiver.status.clone());
        let endpoint = poem::endpoint::make(move |req: poem::Request| {
            let (kept, status) = (kept.clone(), status.clone());
            async move {
                let signature = req.header("x-clinicbox-signature").map(str::to_owned);
                let authorization = req.header("authorization").map(str::to_owned);
                let path = req.uri().path().to_owned();
                let body = req.into_body().into_vec().await.unwrap_or_default();
                kept.lock().unwrap().push(Received { path, signature, authorization, body });
                poem::http::StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap()
            }
        });
        tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(endpoint));
        receiver
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }
}
