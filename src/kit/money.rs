//! Money as integer minor units plus an ISO 4217 code. Never floats.

use poem_openapi::Object;

use crate::kit::error::Validator;

/// The largest amount accepted, as in the spec's `maximum`.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000;

/// An amount of money in minor units (pence, cents) of an ISO 4217 currency.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
#[oai(deny_unknown_fields)]
pub struct Money {
    /// At most 1 000 000 000 minor units (ten million pounds or dollars).
    #[oai(validator(minimum(value = "0"), maximum(value = "1000000000")))]
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. `GBP`.
    #[oai(validator(pattern = "^[A-Z]{3}$"))]
    pub currency: String,
}

impl Money {
    /// Adds the amount's and the currency's problems under `field`.
    pub fn check(&self, v: &mut Validator, field: &str) {
        if self.amount_minor < 0 {
            v.add(&format!("{field}.amount_minor"), "must not be negative");
        } else if self.amount_minor > MAX_AMOUNT_MINOR {
            v.add(&format!("{field}.amount_minor"), format!("must be at most {MAX_AMOUNT_MINOR}"));
        }
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            v.add(&format!("{field}.currency"), "must be an ISO 4217 code such as GBP");
        }
    }

    /// Rebuilds a stored amount: both columns or neither.
    pub fn from_columns(amount_minor: Option<i64>, currency: Option<String>) -> Option<Money> {
        Some(Money { amount_minor: amount_minor?, currency: currency? })
    }
}
