//! Rules for possible duplicates and merges: who may merge, what moves, and
//! how an undo gives each record back exactly what it had.

use crate::App;
use crate::audit::{self, Actor};
use crate::db::changes::{self, ChangeOp};
use crate::http::pagination::Page;
use crate::kit::error::{Error, ErrorCode, Result};
use crate::kit::phone;
use crate::kit::principal::Caller;
use crate::patients::merging::model::{FlagStatus, PatientBrief, PatientMerge, PossibleDuplicate};
use crate::patients::merging::store::{self, FLAGS, Moved};
use crate::patients::merging::{HeldRecords, MergeStep};
use crate::patients::model::PatientStatus;
use crate::patients::scope::Scope;
use crate::patients::service::visible;

/// The key of the shares a merge copied onto the kept record.
const SHARES: &str = "shares";

impl PatientBrief {
    /// The stored E.164 number written as the clinic writes it.
    fn shown(mut self, region: &str) -> Self {
        self.phone_display = self.phone_display.map(|p| phone::display(&p, region));
        self
    }
}

impl PossibleDuplicate {
    fn shown(mut self, region: &str) -> Self {
        self.patient = self.patient.shown(region);
        self.other = self.other.shown(region);
        self
    }
}

/// Flags a record registered despite the warning as possibly each of the
/// records it resembled (in the registration's transaction).
pub fn flag_registered_anyway(
    tx: &rusqlite::Transaction,
    patient_id: i64,
    matches: &[crate::patients::model::DuplicateMatch],
    caller: &Caller,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    for other in matches.iter().filter(|m| m.id != patient_id) {
        store::flag(tx, patient_id, other.id, &other.reason, caller.staff_id, now)?;
    }
    Ok(())
}

/// The clinic's possible duplicates with `status`, newest first.
pub async fn list(app: &App, status: Option<FlagStatus>, page: Page) -> Result<(Vec<PossibleDuplicate>, i64)> {
    let region = app.phone_region.get();
    let (rows, total) = app.db.read(move |conn| store::list_flags(conn, status, page.limit(), page.offset())).await?;
    Ok((rows.into_iter().map(|f| f.shown(&region)).collect(), total))
}

/// The flags naming a patient the caller sees, leaving out pairs whose other
/// record the caller may not see.
pub async fn of_patient(app: &App, caller: &Caller, patient_id: i64) -> Result<Vec<PossibleDuplicate>> {
    let (caller, booked_with, region) = (caller.clone(), app.patients_booked_with, app.phone_region.get());
    app.db
        .read(move |conn| {
            visible(conn, &caller, booked_with, patient_id)?;
            let scope = Scope::of(conn, &caller, booked_with)?;
            let flags = store::flags_of(conn, patient_id)?;
            Ok(flags
                .into_iter()
                .filter(|f| scope.sees(f.patient.id) && scope.sees(f.other.id))
                .map(|f| f.shown(&region))
                .collect())
        })
        .await
}

/// Records that the pair are two different people.
pub async fn dismiss(app: &App, caller: &Caller, flag_id: i64) -> Result<PossibleDuplicate> {
    let (now, caller, region) = (app.clock.now(), caller.clone(), app.phone_region.get());
    app.db
        .write(move |tx| {
            let flag = store::get_flag(tx, flag_id)?.ok_or(Error::NotFound { entity: "possible duplicate" })?;
            if flag.status != FlagStatus::Open {
                return Err(Error::conflict(ErrorCode::AlreadyResolved, "this pair was already dismissed or merged"));
            }
            store::resolve_flag(tx, flag_id, FlagStatus::Dismissed, caller.staff_id, now)?;
            let details = serde_json::json!({ "flag_id": flag_id, "other_id": flag.other.id });
            let actor = Actor::from(&caller);
            audit::record(
                tx,
                now,
                actor,
                "patient.duplicate_dismiss",
                "patient",
                Some(flag.patient.id),
                Some(details),
            )?;
            let flag = store::get_flag(tx, flag_id)?.ok_or(Error::NotFound { entity: "possible duplicate" })?;
            Ok(flag.shown(&region))
        })
        .await
}

fn merged_already(into: i64) -> Error {
    Error::conflict(
        ErrorCode::PatientMerged,
        format!("this record was merged into patient {into}; work on that record, or undo that merge first"),
    )
}

/// Merges `merged_id` into `kept_id`: the kept record keeps its details and
/// gains the other's appointments and shares; the merged one is archived,
/// points at the kept one and keeps its own details. Audited on both.
pub async fn merge(app: &App, caller: &Caller, kept_id: i64, merged_id: i64) -> Result<PatientMerge> {
    let (now, caller, booked_with) = (app.clock.now(), caller.clone(), app.patients_booked_with);
    let holders: &'static [HeldRecords] = app.patient_records_elsewhere;
    app.db
        .write(move |tx| {
            let kept = visible(tx, &caller, booked_with, kept_id)?;
            if merged_id == kept_id {
                return Err(Error::invalid_field("merged_patient_id", "is the record kept; name the other one"));
            }
            let merged = match visible(tx, &caller, booked_with, merged_id) {
                Err(Error::NotFound { .. }) => Err(Error::invalid_field("merged_patient_id", "names no patient")),
                other => other,
            }?;
            if let Some(into) = kept.merged_into_id.or(merged.merged_into_id) {
                return Err(merged_already(into));
            }
            let merge_id = store::insert_merge(tx, kept_id, merged_id, merged.status, caller.staff_id, now)?;
            let step = MergeStep { merge_id, from: merged_id, onto: kept_id, at: now, actor_id: caller.staff_id };
            let mut moved = Moved::new();
            moved.insert(SHARES.into(), store::copy_shares(tx, step)?);
            for holder in holders {
                moved.insert(holder.kind.into(), holder.move_onto(tx, step)?);
            }
            let flags = store::open_flags_between(tx, kept_id, merged_id)?;
            for flag in &flags {
                store::resolve_flag(tx, *flag, FlagStatus::Merged, caller.staff_id, now)?;
            }
            moved.insert(FLAGS.into(), flags);
            store::set_moved(tx, merge_id, &moved)?;
            store::set_merged_into(tx, merged_id, Some(kept_id), PatientStatus::Archived, now)?;

            let counts: serde_json::Map<String, serde_json::Value> =
                moved.iter().map(|(kind, keys)| (kind.clone(), keys.len().into())).collect();
            let kept_details =
                serde_json::json!({ "merge_id": merge_id, "merged_patient_id": merged_id, "moved": counts });
            let merged_details = serde_json::json!({ "merge_id": merge_id, "kept_patient_id": kept_id });
            audit::record(
                tx,
                now,
                Actor::from(&caller),
                "patient.merge",
                "patient",
                Some(kept_id),
                Some(kept_details),
            )?;
            audit::record(
                tx,
                now,
                Actor::from(&caller),
                "patient.merged",
                "patient",
                Some(merged_id),
                Some(merged_details),
            )?;
            changes::record(tx, now, "patient", kept_id, ChangeOp::Update)?;
            changes::record(tx, now, "patient", merged_id, ChangeOp::Archive)?;
            Ok(store::get_merge(tx, merge_id)?.ok_or(Error::NotFound { entity: "merge" })?.merge)
        })
        .await
}

/// Undoes a merge: what moved goes back, the merged record returns to the
/// status it had and its flags reopen. The newest merge of a record first.
pub async fn undo(app: &App, caller: &Caller, merge_id: i64) -> Result<PatientMerge> {
    let (now, caller, booked_with) = (app.clock.now(), caller.clone(), app.patients_booked_with);
    let holders: &'static [HeldRecords] = app.patient_records_elsewhere;
    app.db
        .write(move |tx| {
            let row = store::get_merge(tx, merge_id)?.ok_or(Error::NotFound { entity: "merge" })?;
            let (kept_id, merged_id) = (row.merge.kept_patient_id, row.merge.merged_patient_id);
            let kept = visible(tx, &caller, booked_with, kept_id)?;
            visible(tx, &caller, booked_with, merged_id)?;
            if row.merge.undone_at.is_some() {
                return Err(Error::conflict(ErrorCode::MergeUndone, "this merge was already undone"));
            }
            if let Some(into) = kept.merged_into_id {
                return Err(merged_already(into));
            }
            let step = MergeStep { merge_id, from: merged_id, onto: kept_id, at: now, actor_id: caller.staff_id };
            let keys = |kind: &str| row.moved.get(kind).cloned().unwrap_or_default();
            for holder in holders.iter().rev() {
                holder.move_back(tx, step, &keys(holder.kind))?;
            }
            store::remove_copied_shares(tx, step, &keys(SHARES))?;
            store::reopen_flags(tx, &keys(FLAGS))?;
            store::set_merged_into(tx, merged_id, None, row.merged_status, now)?;
            store::mark_undone(tx, merge_id, caller.staff_id, now)?;

            let details =
                serde_json::json!({ "merge_id": merge_id, "kept_patient_id": kept_id, "merged_patient_id": merged_id });
            for patient in [kept_id, merged_id] {
                let actor = Actor::from(&caller);
                audit::record(tx, now, actor, "patient.merge_undo", "patient", Some(patient), Some(details.clone()))?;
            }
            changes::record(tx, now, "patient", kept_id, ChangeOp::Update)?;
            let op = if row.merged_status == PatientStatus::Active { ChangeOp::Restore } else { ChangeOp::Update };
            changes::record(tx, now, "patient", merged_id, op)?;
            Ok(store::get_merge(tx, merge_id)?.ok_or(Error::NotFound { entity: "merge" })?.merge)
        })
        .await
}

/// The merges a patient took part in, kept or merged, newest first.
pub async fn history(app: &App, caller: &Caller, patient_id: i64) -> Result<Vec<PatientMerge>> {
    let (caller, booked_with) = (caller.clone(), app.patients_booked_with);
    app.db
        .read(move |conn| {
            visible(conn, &caller, booked_with, patient_id)?;
            store::merges_of(conn, patient_id)
        })
        .await
}
