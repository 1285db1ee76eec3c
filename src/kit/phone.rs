//! Phone numbers: read as people write them, stored in E.164.

use phonenumber::Mode;

/// Reads a phone number as people write it (`07911 123456`, `+44 7700
/// 900123`) in the clinic's default region and returns it in E.164.
pub fn normalise(raw: &str, region: &str) -> Result<String, &'static str> {
    let region = region.parse::<phonenumber::country::Id>().ok();
    let number = phonenumber::parse(region, raw).map_err(|_| "is not a phone number")?;
    let e164 = number.format().mode(Mode::E164).to_string();
    if !phonenumber::is_valid(&number) && !is_drama_number(&e164) {
        return Err("is not a valid phone number");
    }
    Ok(e164)
}

/// A stored (E.164) number as the clinic writes it: in national format when
/// it is of the clinic's region (`07911 123456`), else international (`+1
/// 202-555-0143`). A number that no longer parses is shown as stored.
pub fn display(e164: &str, region: &str) -> String {
    let Ok(number) = phonenumber::parse(None, e164) else {
        return e164.to_owned();
    };
    // Same calling code as the clinic's region (the UK's +44, North America's +1).
    let home = phonenumber::metadata::DATABASE.by_id(region.to_ascii_uppercase().as_str()).map(|m| m.country_code());
    let mode = if home == Some(number.code().value()) { Mode::National } else { Mode::International };
    number.format().mode(mode).to_string()
}

/// Ofcom's ranges for drama, training and testing (never allocated to a
/// line): the metadata calls them unassigned, but a clinic's demo data and
/// staff training use them, so they are accepted.
const UK_DRAMA_RANGES: &[&str] = &[
    "+447700900",
    "+442079460",
    "+441134960",
    "+441144960",
    "+441154960",
    "+441164960",
    "+441174960",
    "+441184960",
    "+441214960",
    "+441314960",
    "+441414960",
    "+441514960",
    "+441614960",
    "+441914980",
    "+442896496",
    "+442920180",
    "+441632960",
    "+448081570",
    "+449098790",
    "+443069990",
];

fn is_drama_number(e164: &str) -> bool {
    e164.len() == 13 && UK_DRAMA_RANGES.iter().any(|range| e164.starts_with(range))
}

/// The digits of a number in any format, for matching.
pub fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_the_clinics_region_are_shown_nationally_and_others_internationally() {
        assert_eq!(display("+447911123456", "GB"), "07911 123456");
        assert_eq!(display("+12025550143", "GB"), "+1 202-555-0143");
        assert_eq!(display("+12025550143", "US"), "(202) 555-0143");
        assert_eq!(display("+447700900123", "GB"), "07700 900123", "drama numbers too");
        assert_eq!(display("not a number", "GB"), "not a number");
    }

    #[test]
    fn numbers_in_other_formats_and_regions() {
        assert_eq!(normalise("+44 7911-123-456", "US").unwrap(), "+447911123456");
        assert_eq!(normalise("0044 7911 123456", "GB").unwrap(), "+447911123456");
        assert_eq!(normalise("(212) 736-5000", "US").unwrap(), "+12127365000");
        assert!(normalise("12", "GB").is_err());
        // Ofcom's drama and test range: valid, so training data and demos can use it.
        assert_eq!(normalise("07700 900123", "GB").unwrap(), "+447700900123");
        assert_eq!(normalise("+44 7700 900 982", "US").unwrap(), "+447700900982");
        assert_eq!(normalise("020 7946 0123", "GB").unwrap(), "+442079460123");
        assert!(normalise("07700 900", "GB").is_err(), "a drama prefix is not a number");
        assert!(normalise("07700 9001234", "GB").is_err(), "one digit too many is not in the range");
        assert!(normalise("call me", "GB").is_err());
        assert_eq!(digits_of("+44 (0) 7911"), "4407911");
    }
}
