//! The region phone numbers written without a country code are read in:
//! the clinic profile's choice once made, the configured `phone_region`
//! until then. Shared so that a change applies to the next request.

use std::sync::{Arc, RwLock};

#[derive(Clone, Debug)]
pub struct PhoneRegion(Arc<RwLock<String>>);

impl PhoneRegion {
    pub fn new(region: &str) -> Self {
        Self(Arc::new(RwLock::new(region.to_owned())))
    }

    pub fn get(&self) -> String {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, region: &str) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = region.to_owned();
    }
}
