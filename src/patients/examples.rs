//! The examples the spec shows for registering and changing a patient. A
//! test sends each request to a real server and compares the answer.

use serde_json::{Value, json};

pub fn new_patient() -> Value {
    json!({
        "given_name": "Grace",
        "family_name": "Hopper",
        "date_of_birth": "1946-12-09",
        "sex": "female",
        "phone": "07911 123456",
        "email": "grace@example.org",
        "lead_source": "referral",
        "preferred_language": "en-GB"
    })
}

pub fn patient() -> Value {
    json!({
        "contact_preferences": {"email": true, "sms": false, "whatsapp": false},
        "created_at": "2027-06-01T08:00:00Z",
        "date_of_birth": "1946-12-09",
        "email": "grace@example.org",
        "family_name": "Hopper",
        "given_name": "Grace",
        "id": 1,
        "lead_source": "referral",
        "phone": "+447911123456",
        "phone_display": "07911 123456",
        "preferred_language": "en-GB",
        "sex": "female",
        "status": "active",
        "updated_at": "2027-06-01T08:00:00Z"
    })
}

pub fn patient_patch() -> Value {
    json!({ "preferred_name": "Amazing Grace", "email": null })
}

pub fn patched_patient() -> Value {
    json!({
        "contact_preferences": {"email": true, "sms": false, "whatsapp": false},
        "created_at": "2027-06-01T08:00:00Z",
        "date_of_birth": "1946-12-09",
        "family_name": "Hopper",
        "given_name": "Grace",
        "id": 1,
        "lead_source": "referral",
        "phone": "+447911123456",
        "phone_display": "07911 123456",
        "preferred_language": "en-GB",
        "preferred_name": "Amazing Grace",
        "sex": "female",
        "status": "active",
        "updated_at": "2027-06-01T08:20:00Z"
    })
}
