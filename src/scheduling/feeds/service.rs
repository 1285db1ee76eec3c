//! Calendar feed links: who may see them, rotation, and the feed itself.

use chrono::Duration;

use crate::App;
use crate::audit::{self, Actor};
use crate::kit::context::RequestContext;
use crate::kit::error::{Error, Result};
use crate::kit::principal::Caller;
use crate::scheduling::feeds::{calendar, store};
use crate::scheduling::setup;
use crate::scheduling::setup::model::{CalendarLink, Clinician};
use crate::scheduling::shared::not_found;
use crate::scheduling::slots::compute::Interval;

/// Managers, and the clinician themself, may see and rotate a feed link.
pub fn may_see_feed(caller: &Caller, clinician: &Clinician) -> bool {
    caller.require(crate::kit::permissions::Action::SchedulingSetup).is_ok()
        || (clinician.staff_id.is_some() && clinician.staff_id == caller.staff_id)
}

pub fn feed_url(app: &App, clinician_id: i64, generation: i64) -> String {
    let path = calendar::feed_path(&calendar::token(&app.secret, clinician_id, generation));
    match &app.config.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    }
}

pub async fn clinician_for(app: &App, caller: &Caller, id: i64) -> Result<Clinician> {
    let (clinician, generation) =
        app.db.read(move |c| Ok((setup::store::get_clinician(c, id)?, store::calendar_generation(c, id)?))).await?;
    let mut clinician = clinician.ok_or_else(|| not_found("clinician"))?;
    if may_see_feed(caller, &clinician) {
        clinician.calendar_feed_url = Some(feed_url(app, id, generation.unwrap_or(0)));
    }
    Ok(clinician)
}

pub async fn rotate_feed(app: &App, caller: &Caller, id: i64) -> Result<CalendarLink> {
    let clinician =
        app.db.read(move |c| setup::store::get_clinician(c, id)).await?.ok_or_else(|| not_found("clinician"))?;
    if !may_see_feed(caller, &clinician) {
        return Err(Error::forbidden("only managers and the clinician may change this feed"));
    }
    let (now, caller) = (app.clock.now(), caller.clone());
    let generation = app
        .db
        .write(move |tx| {
            let generation = store::rotate_calendar(tx, id, now)?;
            audit::record(tx, now, Actor::from(&caller), "calendar.rotate", "clinician", Some(id), None)?;
            Ok(generation)
        })
        .await?;
    Ok(CalendarLink { url: feed_url(app, id, generation) })
}

/// The feed for a presented token, or 404 for any token that is not current.
/// Each fetch is an export of patients' names: it is recorded in the audit log.
pub async fn feed(app: &App, file: &str, context: RequestContext) -> Result<String> {
    let token = file.strip_suffix(".ics").unwrap_or(file).to_owned();
    let now = app.clock.now();
    let app = app.clone();
    let db_app = app.clone();
    let (clinician_id, appointments, body) = app
        .db
        .read(move |conn| {
            let clinician_id =
                calendar::verify(&db_app.secret, &token, |id| store::calendar_generation(conn, id).ok().flatten())
                    .ok_or(Error::NotFound { entity: "calendar" })?;
            let clinician =
                setup::store::get_clinician(conn, clinician_id)?.ok_or(Error::NotFound { entity: "calendar" })?;
            // Deactivation also revokes the link (a trigger bumps its generation);
            // this holds even for a link issued while the row was being changed.
            let staff_active = match clinician.staff_id {
                Some(staff_id) => store::staff_active(conn, staff_id)?,
                None => true,
            };
            if !clinician.active || !staff_active {
                return Err(Error::NotFound { entity: "calendar" });
            }
            let settings = setup::store::booking_settings(conn)?;
            let span = Interval { start: now - Duration::days(30), end: now + Duration::days(400) };
            let events = store::feed_events(conn, clinician_id, span, settings.calendar_show_surnames)?;
            Ok((clinician_id, events.len(), calendar::build(&clinician.display_name, &events, now)))
        })
        .await?;
    let details = serde_json::json!({ "appointments": appointments });
    let actor = audit::service::OwnedActor::anonymous(context);
    audit::service::record_access(&app, actor, "calendar.feed_read", "clinician", Some(clinician_id), details).await?;
    Ok(body)
}
