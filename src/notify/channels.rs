//! Delivery: email over SMTP (lettre), SMS and WhatsApp through the
//! clinic's gateway as signed JSON. Each message carries a stable id, so a
//! retry after a crash is recognisable as the same message.

use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;

use crate::App;
use crate::notify::model::{Channel, OutboundMessage};

const TIMEOUT: Duration = Duration::from_secs(20);

/// Sends one message; why not, in words, when it fails.
pub async fn deliver(app: &App, message: &OutboundMessage) -> Result<(), String> {
    match message.channel {
        Channel::Email => send_email(app, message).await,
        Channel::Sms | Channel::Whatsapp => send_to_gateway(app, message).await,
    }
}

/// `<message-12.3f9a…@clinicbox>`: the same for every try of one message,
/// different across installations.
pub fn message_id(app: &App, id: i64) -> String {
    let installation = hex::encode(&app.secret.sign(&[b"message-id"])[..8]);
    format!("<message-{id}.{installation}@clinicbox>")
}

async fn send_email(app: &App, message: &OutboundMessage) -> Result<(), String> {
    let (Some(url), Some(from)) = (&app.config.smtp_url, &app.config.smtp_from) else {
        return Err("email is not set up (smtp_url, smtp_from)".into());
    };
    let from: Mailbox = from.parse().map_err(|e| format!("smtp_from is not an address: {e}"))?;
    let to: Mailbox = message.recipient.parse().map_err(|e| format!("{} is not an address: {e}", message.recipient))?;
    let builder = Message::builder()
        .message_id(Some(message_id(app, message.id)))
        .from(from)
        .to(to)
        .subject(message.subject.clone().unwrap_or_default());
    let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(message.body.clone());
    let invite = match (message.template.as_str(), message.appointment_id) {
        ("confirmation" | "reschedule", Some(id)) => invite_for(app, id).await,
        _ => None,
    };
    let email = match invite {
        Some(ics) => {
            let calendar =
                ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH").map_err(|e| e.to_string())?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(text)
                    .singlepart(Attachment::new("appointment.ics".into()).body(ics, calendar)),
            )
        }
        None => builder.singlepart(text),
    }
    .map_err(|e| format!("the email cannot be written: {e}"))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url.0)
        .map_err(|e| format!("smtp_url cannot be used: {e}"))?
        .timeout(Some(TIMEOUT))
        .build();
    transport.send(email).await.map(|_| ()).map_err(|e| format!("the mail server refused it: {e}"))
}

/// The appointment as an iCalendar event, for the patient's calendar.
async fn invite_for(app: &App, appointment_id: i64) -> Option<String> {
    use icalendar::{Calendar, Component, Event, EventLike};
    let found = app
        .db
        .read(move |conn| {
            let a = crate::scheduling::appointments::store::get_appointment(conn, appointment_id)?;
            let Some(a) = a else { return Ok(None) };
            let service = crate::scheduling::setup::store::get_service(conn, a.service_id)?.map(|s| s.name);
            let centre = crate::scheduling::setup::store::get_centre(conn, a.centre_id)?;
            Ok(Some((a, service.unwrap_or_default(), centre)))
        })
        .await
        .ok()??;
    let (a, service, centre) = found;
    let location = match (&a.video_url, &centre) {
        (Some(url), _) => url.clone(),
        (None, Some(c)) => {
            [Some(c.name.clone()), c.address.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ")
        }
        (None, None) => String::new(),
    };
    let event = Event::new()
        .uid(&format!("appointment-{}@clinicbox", a.id))
        .summary(&service)
        .location(&location)
        .starts(a.start.with_timezone(&chrono::Utc))
        .ends(a.end.with_timezone(&chrono::Utc))
        .timestamp(app.clock.now())
        .done();
    let mut calendar = Calendar::new();
    calendar.push(event);
    Some(calendar.done().to_string())
}

/// `sha256=<hex HMAC-SHA256 of the body>` with the gateway's shared secret.
pub fn signature(secret: &str, body: &[u8]) -> Result<String, String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|e| e.to_string())?;
    mac.update(body);
    Ok(format!("sha256={}", hex::encode(mac.finalize().into_bytes())))
}

async fn send_to_gateway(app: &App, message: &OutboundMessage) -> Result<(), String> {
    if let Some(twilio) = &app.config.twilio {
        return send_by_twilio(twilio, message).await;
    }
    let (Some(url), Some(secret)) = (&app.config.sms_webhook_url, &app.config.sms_webhook_secret) else {
        return Err("text messages are not set up (sms_webhook_url, sms_webhook_secret)".into());
    };
    let body = serde_json::json!({
        "id": format!("message-{}", message.id),
        "channel": message.channel.as_str(),
        "to": message.recipient,
        "body": message.body,
        "template": message.template,
        "appointment_id": message.appointment_id,
    });
    let bytes = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder().timeout(TIMEOUT).build().map_err(|e| e.to_string())?;
    let response = client
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Clinicbox-Signature", signature(&secret.0, &bytes)?)
        .body(bytes)
        .send()
        .await
        .map_err(|e| format!("the gateway cannot be reached: {e}"))?;
    match response.status() {
        status if status.is_success() => Ok(()),
        status => Err(format!("the gateway answered {status}")),
    }
}

/// Twilio's Messages API: a form with `To`, `From` and `Body`, the account's key as basic auth.
async fn send_by_twilio(twilio: &crate::config::Twilio, message: &OutboundMessage) -> Result<(), String> {
    let address = |number: &str| match message.channel {
        Channel::Whatsapp => format!("whatsapp:{number}"),
        _ => number.to_owned(),
    };
    let url =
        format!("{}/2010-04-01/Accounts/{}/Messages.json", twilio.base_url.trim_end_matches('/'), twilio.account_sid);
    let client = reqwest::Client::builder().timeout(TIMEOUT).build().map_err(|e| e.to_string())?;
    let response = client
        .post(url)
        .basic_auth(&twilio.account_sid, Some(&twilio.auth_token.0))
        .form(&[("To", address(&message.recipient)), ("From", address(&twilio.from)), ("Body", message.body.clone())])
        .send()
        .await
        .map_err(|e| format!("Twilio cannot be reached: {e}"))?;
    match response.status() {
        status if status.is_success() => Ok(()),
        status => Err(format!("Twilio answered {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?").unwrap(),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
