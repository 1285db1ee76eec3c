//! Money as integer minor units plus an ISO 4217 code. Never floats.

use poem_openapi::Object;

use crate::kit::error::Validator;

/// An amount of money in minor units (pence, cents) of an ISO 4217 currency.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
#[oai(deny_unknown_fields)]
pub struct Money {
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. `GBP`.
    pub currency: String,
}

impl Money {
    /// Adds the amount's and the currency's problems under `field`.
    pub fn check(&self, v: &mut Validator, field: &str) {
        if self.amount_minor < 0 {
            v.add(&format!("{field}.amount_minor"), "must not be negative");
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
