//! The questionnaires that come with Clinicbox, with their published items
//! and scoring: PHQ-9 (Kroenke, Spitzer & Williams, 2001), GAD-7 (Spitzer
//! et al., 2006), and a 0–10 mood rating.

use crate::records::questionnaires::model::{Band, Choice, Item, Questionnaire};

const FREQUENCY: [(&str, i64); 4] =
    [("Not at all", 0), ("Several days", 1), ("More than half the days", 2), ("Nearly every day", 3)];

const PHQ_9: [&str; 9] = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or \
     restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
];

const GAD_7: [&str; 7] = [
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
];

/// The PHQ-9 item whose answer above 0 raises `self_harm_risk`.
pub const PHQ_9_SELF_HARM_ITEM: usize = 9;

fn frequency_items(texts: &[&str]) -> Vec<Item> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| Item {
            number: i as i64 + 1,
            text: (*text).to_owned(),
            choices: FREQUENCY
                .iter()
                .map(|(label, score)| Choice { label: (*label).to_owned(), score: *score })
                .collect(),
        })
        .collect()
}

fn bands(ranges: &[(i64, i64, &str)]) -> Vec<Band> {
    ranges.iter().map(|(min, max, severity)| Band { min: *min, max: *max, severity: (*severity).to_owned() }).collect()
}

const TWO_WEEKS: &str = "Over the last 2 weeks, how often have you been bothered by any of the following problems?";

pub fn all() -> Vec<Questionnaire> {
    vec![
        Questionnaire {
            id: "phq-9".into(),
            name: "PHQ-9 (depression)".into(),
            instructions: TWO_WEEKS.into(),
            items: frequency_items(&PHQ_9),
            bands: bands(&[
                (0, 4, "minimal"),
                (5, 9, "mild"),
                (10, 14, "moderate"),
                (15, 19, "moderately_severe"),
                (20, 27, "severe"),
            ]),
            max_score: 27,
            built_in: true,
        },
        Questionnaire {
            id: "gad-7".into(),
            name: "GAD-7 (anxiety)".into(),
            instructions: TWO_WEEKS.into(),
            items: frequency_items(&GAD_7),
            bands: bands(&[(0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")]),
            max_score: 21,
            built_in: true,
        },
        Questionnaire {
            id: "mood".into(),
            name: "Mood rating".into(),
            instructions: "How has your mood been today, from 0 (the worst) to 10 (the best)?".into(),
            items: vec![Item {
                number: 1,
                text: "Mood today".into(),
                choices: (0..=10).map(|score| Choice { label: score.to_string(), score }).collect(),
            }],
            bands: Vec::new(),
            max_score: 10,
            built_in: true,
        },
    ]
}

pub fn find(id: &str) -> Option<Questionnaire> {
    all().into_iter().find(|q| q.id == id)
}

/// The total, its band and the flags the answers raise. The answers are
/// already checked against the items.
pub fn score(questionnaire: &Questionnaire, answers: &[i64]) -> (i64, Option<String>, Vec<String>) {
    let total: i64 = answers.iter().sum();
    let severity = questionnaire.bands.iter().find(|b| (b.min..=b.max).contains(&total)).map(|b| b.severity.clone());
    let mut flags = Vec::new();
    if questionnaire.id == "phq-9" && answers.get(PHQ_9_SELF_HARM_ITEM - 1).is_some_and(|a| *a > 0) {
        flags.push("self_harm_risk".to_owned());
    }
    (total, severity, flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phq_9_bands_meet_at_their_published_edges() {
        let phq = find("phq-9").unwrap();
        let severity = |total: i64| {
            // Spread the total over the first eight items (item 9 stays 0).
            let mut answers = [0i64; 9];
            let mut left = total;
            for a in answers.iter_mut().take(8) {
                *a = left.min(3);
                left -= *a;
            }
            answers[8] = left;
            score(&phq, &answers).1.unwrap()
        };
        for (total, band) in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "moderately_severe"),
            (19, "moderately_severe"),
            (20, "severe"),
            (27, "severe"),
        ] {
            assert_eq!(severity(total), band, "total {total}");
        }
    }

    #[test]
    fn gad_7_bands_meet_at_their_published_edges() {
        let gad = find("gad-7").unwrap();
        let severity = |total: i64| {
            let mut answers = [0i64; 7];
            let mut left = total;
            for a in answers.iter_mut() {
                *a = left.min(3);
                left -= *a;
            }
            score(&gad, &answers).1.unwrap()
        };
        for (total, band) in [
            (0, "minimal"),
            (4, "minimal"),
            (5, "mild"),
            (9, "mild"),
            (10, "moderate"),
            (14, "moderate"),
            (15, "severe"),
            (21, "severe"),
        ] {
            assert_eq!(severity(total), band, "total {total}");
        }
    }

    #[test]
    fn only_phq_9_item_9_raises_the_self_harm_flag() {
        let phq = find("phq-9").unwrap();
        assert_eq!(score(&phq, &[0, 0, 0, 0, 0, 0, 0, 0, 1]).2, ["self_harm_risk"]);
        assert!(score(&phq, &[3, 3, 3, 3, 3, 3, 3, 3, 0]).2.is_empty());
        let gad = find("gad-7").unwrap();
        assert_eq!(score(&gad, &[3, 3, 3, 3, 3, 3, 3]), (21, Some("severe".into()), vec![]));
        assert_eq!(score(&gad, &[1, 1, 1, 1, 1, 0, 0]).1.as_deref(), Some("mild"));
    }
}
