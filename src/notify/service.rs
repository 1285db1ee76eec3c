//! Rules for in-app notifications (each person's own), the record of
//! outbound messages, the reminder settings, and the channel test.

use poem_openapi::types::MaybeUndefined;

use crate::App;
use crate::audit::{self, Actor};
use crate::http::pagination::Page;
use crate::kit::error::{Error, Result, Validator};
use crate::kit::principal::Caller;
use crate::notify::channels;
use crate::notify::model::{
    Channel, ChannelsConfigured, MessageStatus, Notification, NotificationSettings, NotificationSettingsPatch,
    OutboundMessage, QuietHours, TestMessage, TestOutcome, UnreadCount,
};
use crate::notify::store::{self, NewMessage, ReminderSettings};

fn person(caller: &Caller) -> Result<i64> {
    caller.staff_id.ok_or_else(|| Error::forbidden("notifications are a person's, not an API key's"))
}

fn not_found() -> Error {
    Error::NotFound { entity: "notification" }
}

pub async fn list(app: &App, caller: &Caller, unread_only: bool, page: Page) -> Result<(Vec<Notification>, i64)> {
    let staff_id = person(caller)?;
    app.db.read(move |conn| store::notifications_of(conn, staff_id, unread_only, page.limit(), page.offset())).await
}

pub async fn unread(app: &App, caller: &Caller) -> Result<UnreadCount> {
    let staff_id = person(caller)?;
    Ok(UnreadCount { unread: app.db.read(move |conn| store::unread_count(conn, staff_id)).await? })
}

pub async fn read(app: &App, caller: &Caller, id: i64) -> Result<Notification> {
    let (staff_id, now) = (person(caller)?, app.clock.now());
    app.db.write(move |tx| store::mark_read(tx, staff_id, id, now)?.ok_or_else(not_found)).await
}

pub async fn read_all(app: &App, caller: &Caller) -> Result<UnreadCount> {
    let (staff_id, now) = (person(caller)?, app.clock.now());
    app.db.write(move |tx| store::mark_all_read(tx, staff_id, now)).await?;
    Ok(UnreadCount { unread: 0 })
}

pub async fn messages(
    app: &App,
    patient_id: Option<i64>,
    status: Option<MessageStatus>,
    page: Page,
) -> Result<(Vec<OutboundMessage>, i64)> {
    app.db.read(move |conn| store::messages(conn, patient_id, status, page.limit(), page.offset())).await
}

fn configured(app: &App) -> ChannelsConfigured {
    let gateway = app.config.sms_webhook_url.is_some() || app.config.twilio.is_some();
    ChannelsConfigured { email: app.config.smtp_url.is_some(), sms: gateway, whatsapp: gateway }
}

pub async fn settings(app: &App) -> Result<NotificationSettings> {
    let stored = app.db.read(store::reminder_settings).await?;
    Ok(NotificationSettings {
        reminder_hours_before: stored.hours_before,
        quiet_hours: stored.quiet,
        channels: configured(app),
    })
}

/// Changes the leads and quiet hours; appointments booked from now on use
/// them (reminders already planned keep their times). Audited.
pub async fn update_settings(
    app: &App,
    caller: &Caller,
    patch: NotificationSettingsPatch,
) -> Result<NotificationSettings> {
    if let MaybeUndefined::Value(quiet) = &patch.quiet_hours
        && quiet.start == quiet.end
    {
        return Err(Error::invalid_field("quiet_hours.end", "must differ from start"));
    }
    let (now, caller2) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let mut next = store::reminder_settings(tx)?;
            if let Some(mut hours) = patch.reminder_hours_before {
                hours.sort_unstable_by(|a, b| b.cmp(a));
                hours.dedup();
                next.hours_before = hours;
            }
            match patch.quiet_hours {
                MaybeUndefined::Value(q) => next.quiet = Some(QuietHours { start: q.start, end: q.end }),
                MaybeUndefined::Null => next.quiet = None,
                MaybeUndefined::Undefined => {}
            }
            let ReminderSettings { hours_before, quiet } = &next;
            store::save_reminder_settings(tx, &next, now)?;
            let details = serde_json::json!({ "reminder_hours_before": hours_before, "quiet_hours": quiet.as_ref().map(|q| [&q.start, &q.end]) });
            audit::record(tx, now, Actor::from(&caller2), "settings.notifications", "settings", None, Some(details))
        })
        .await?;
    settings(app).await
}

/// Sends a message now on one channel and says how it went; recorded with
/// the other outbound messages.
pub async fn test(app: &App, caller: &Caller, input: TestMessage) -> Result<TestOutcome> {
    let to = input.to.trim().to_owned();
    let recipient = match input.channel {
        Channel::Email => {
            if !email_address::EmailAddress::is_valid(&to) {
                return Err(Error::invalid_field("to", "is not an email address"));
            }
            to.clone()
        }
        Channel::Sms | Channel::Whatsapp => crate::kit::phone::normalise(&to, &app.phone_region.get())
            .map_err(|problem| Error::invalid_field("to", problem))?,
    };
    let (now, caller2, channel) = (app.clock.now(), caller.clone(), input.channel);
    let body = "This is a test message from Clinicbox: this channel works.".to_owned();
    let recipient2 = recipient.clone();
    let id = app
        .db
        .write(move |tx| {
            let message = NewMessage {
                patient_id: None,
                appointment_id: None,
                channel,
                template: "test",
                recipient: &recipient2,
                subject: Some("Clinicbox test message"),
                body: &body,
            };
            let id = store::insert_message(tx, &message, now)?;
            let details = serde_json::json!({ "channel": channel.as_str() });
            audit::record(
                tx,
                now,
                Actor::from(&caller2),
                "notifications.test",
                "outbound_message",
                Some(id),
                Some(details),
            )?;
            Ok(id)
        })
        .await?;
    let message = app.db.read(move |conn| store::message(conn, id)).await?.ok_or_else(not_found)?;
    let outcome = channels::deliver(app, &message).await;
    let error = outcome.err();
    let status = if error.is_none() { MessageStatus::Sent } else { MessageStatus::Dead };
    let (now, recorded) = (app.clock.now(), error.clone());
    app.db.write(move |tx| store::record_attempt(tx, id, status, recorded.as_deref(), now)).await?;
    Ok(TestOutcome { channel, to: recipient, delivered: error.is_none(), error })
}

fn known_event(event: &str) -> Result<&'static str> {
    crate::notify::templates::EVENTS
        .iter()
        .find(|e| **e == event)
        .copied()
        .ok_or(Error::NotFound { entity: "message template" })
}

/// The template language asked for, canonical; `None` for the clinic's usual wording.
fn template_language(language: Option<&str>) -> Result<Option<String>> {
    let Some(tag) = language.filter(|t| !t.trim().is_empty()) else { return Ok(None) };
    let mut v = Validator::new();
    let canonical = crate::kit::language::canonical(tag).map_err(|problem| v.add("language", problem)).ok();
    v.finish()?;
    Ok(canonical)
}

pub async fn template(app: &App, event: &str, language: Option<&str>) -> Result<crate::notify::model::MessageTemplate> {
    let event = known_event(event)?;
    let language = template_language(language)?;
    app.db.read(move |conn| crate::notify::templates::wording(conn, event, language.as_deref())).await
}

/// Saves the clinic's wording of an event's messages (in `language`, or
/// its usual wording) once every placeholder checks out. Audited.
pub async fn save_template(
    app: &App,
    caller: &Caller,
    event: &str,
    language: Option<&str>,
    input: crate::notify::model::MessageTemplateInput,
) -> Result<crate::notify::model::MessageTemplate> {
    let event = known_event(event)?;
    let language = template_language(language)?;
    crate::notify::templates::check(&input)?;
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let language = language.as_deref();
            crate::notify::templates::save(tx, event, language, &input, caller.staff_id, now)?;
            let details = serde_json::json!({ "event": event, "language": language });
            audit::record(tx, now, Actor::from(&caller), "settings.template", "settings", None, Some(details))?;
            crate::notify::templates::wording(tx, event, language)
        })
        .await
}

/// Forgets the clinic's wording of an event in `language` (or its usual
/// wording), so the next one down applies; answers the wording now in use.
/// Audited when there was something to forget.
pub async fn remove_template(
    app: &App,
    caller: &Caller,
    event: &str,
    language: Option<&str>,
) -> Result<crate::notify::model::MessageTemplate> {
    let event = known_event(event)?;
    let language = template_language(language)?;
    let (now, caller) = (app.clock.now(), caller.clone());
    app.db
        .write(move |tx| {
            let language = language.as_deref();
            if crate::notify::templates::remove(tx, event, language)? {
                let details = serde_json::json!({ "event": event, "language": language });
                audit::record(
                    tx,
                    now,
                    Actor::from(&caller),
                    "settings.template_removed",
                    "settings",
                    None,
                    Some(details),
                )?;
            }
            crate::notify::templates::wording(tx, event, language)
        })
        .await
}
