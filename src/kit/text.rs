//! Text as people type it into forms.

/// Trims; empty becomes absent.
pub fn clean(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}
