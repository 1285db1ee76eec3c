//! Reading and changing the clinic profile, audited; the phone region
//! applies to the next request that reads a phone number.

use email_address::EmailAddress;
use sha2::{Digest, Sha256};

use crate::App;
use crate::audit::{self, Actor};
use crate::clinic::logo;
use crate::clinic::model::{ClinicProfile, ClinicProfilePatch};
use crate::clinic::store::{self, StoredProfile};
use crate::kit::error::{Error, Result, Validator};
use crate::kit::principal::Caller;
use crate::kit::text::clean;

const LOGO_PATH: &str = "/api/v1/settings/clinic/logo";

fn shown(stored: StoredProfile, configured_region: &str) -> ClinicProfile {
    ClinicProfile {
        name: stored.name,
        address: stored.address,
        phone: stored.phone,
        email: stored.email,
        tax_number: stored.tax_number,
        currency: stored.currency,
        phone_region: stored.phone_region.unwrap_or_else(|| configured_region.to_owned()),
        // The address changes with the logo, so a browser may keep it.
        logo_url: stored.logo_sha256.map(|sha| format!("{LOGO_PATH}?v={}", &sha[..16])),
        updated_at: stored.updated_at,
    }
}

pub async fn profile(app: &App) -> Result<ClinicProfile> {
    let stored = app.db.read(store::profile).await?;
    Ok(shown(stored, &app.config.phone_region))
}

/// At start: a region chosen in the profile replaces the configured one.
pub async fn apply_saved_region(app: &App) -> Result<()> {
    if let Some(region) = app.db.read(store::profile).await?.phone_region {
        app.phone_region.set(&region);
    }
    Ok(())
}

pub async fn update(app: &App, caller: &Caller, patch: ClinicProfilePatch) -> Result<ClinicProfile> {
    let (now, caller, region_now) = (app.clock.now(), caller.clone(), app.phone_region.get());
    let saved = app
        .db
        .write(move |tx| {
            let mut next = store::profile(tx)?;
            let mut v = Validator::new();
            if let Some(name) = patch.name {
                next.name = crate::scheduling::shared::check_name(&mut v, "name", &name);
            }
            // Blank is the same as cleared.
            patch.address.update_to(&mut next.address);
            next.address = clean(next.address.as_deref());
            patch.tax_number.update_to(&mut next.tax_number);
            next.tax_number = clean(next.tax_number.as_deref());
            patch.email.update_to(&mut next.email);
            next.email = clean(next.email.as_deref());
            if next.email.as_deref().is_some_and(|e| !EmailAddress::is_valid(e)) {
                v.add("email", "is not a valid email address");
            }
            if let Some(region) = patch.phone_region.map(|r| r.to_ascii_uppercase()) {
                if region.parse::<phonenumber::country::Id>().is_err() {
                    v.add("phone_region", "is not an ISO 3166 country code such as GB");
                }
                next.phone_region = Some(region);
            }
            // A phone is read in the region being saved, so both can change at once.
            let region = next.phone_region.clone().unwrap_or(region_now);
            patch.phone.update_to(&mut next.phone);
            next.phone = clean(next.phone.as_deref());
            if let Some(raw) = next.phone.clone() {
                match crate::kit::phone::normalise(&raw, &region) {
                    Ok(e164) => next.phone = Some(e164),
                    Err(problem) => v.add("phone", problem),
                }
            }
            if let Some(currency) = patch.currency {
                next.currency = currency;
            }
            for (field, value) in [("address", &next.address), ("tax_number", &next.tax_number)] {
                if let Some(problem) = value.as_deref().and_then(crate::kit::text::character_problem) {
                    v.add(field, problem);
                }
            }
            v.finish()?;
            store::save_profile(tx, &next, now)?;
            audit::record(tx, now, Actor::from(&caller), "clinic.update", "clinic", None, None)?;
            store::profile(tx)
        })
        .await?;
    if let Some(region) = &saved.phone_region {
        app.phone_region.set(region);
    }
    Ok(shown(saved, &app.config.phone_region))
}

pub async fn logo(app: &App) -> Result<(Vec<u8>, String, String)> {
    app.db.read(store::logo).await?.ok_or(Error::NotFound { entity: "logo" })
}

/// Replaces the logo (`Some`) or removes it (`None`).
pub async fn set_logo(app: &App, caller: &Caller, upload: Option<(Vec<u8>, String)>) -> Result<ClinicProfile> {
    let checked = match upload {
        Some((bytes, declared)) => {
            let kind = logo::check(&bytes, &declared)?;
            let sha = hex::encode(Sha256::digest(&bytes));
            Some((bytes, kind, sha))
        }
        None => None,
    };
    let (now, caller) = (app.clock.now(), caller.clone());
    let stored = app
        .db
        .write(move |tx| {
            let action = if checked.is_some() { "clinic.logo_update" } else { "clinic.logo_remove" };
            store::set_logo(tx, checked.as_ref().map(|(b, k, s)| (b.as_slice(), *k, s.as_str())), now)?;
            audit::record(tx, now, Actor::from(&caller), action, "clinic", None, None)?;
            store::profile(tx)
        })
        .await?;
    Ok(shown(stored, &app.config.phone_region))
}
