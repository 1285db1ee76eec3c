//! Phone numbers: read as people write them, stored in E.164.

use phonenumber::Mode;

/// Reads a phone number as people write it (`07911 123456`, `+44 7700
/// 900123`) in the clinic's default region and returns it in E.164.
pub fn normalise(raw: &str, region: &str) -> Result<String, &'static str> {
    let region = region.parse::<phonenumber::country::Id>().ok();
    let number = phonenumber::parse(region, raw).map_err(|_| "is not a phone number")?;
    if !phonenumber::is_valid(&number) {
        return Err("is not a valid phone number");
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// The digits of a number in any format, for matching.
pub fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_other_formats_and_regions() {
        assert_eq!(normalise("+44 7911-123-456", "US").unwrap(), "+447911123456");
        assert_eq!(normalise("0044 7911 123456", "GB").unwrap(), "+447911123456");
        assert_eq!(normalise("(212) 736-5000", "US").unwrap(), "+12127365000");
        assert!(normalise("12", "GB").is_err());
        assert!(normalise("call me", "GB").is_err());
        assert_eq!(digits_of("+44 (0) 7911"), "4407911");
    }
}
