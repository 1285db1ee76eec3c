//! The examples the spec shows for booking, moving and cancelling. A test
//! sends each request to a real server and compares the answer.

use serde_json::{Value, json};

pub fn new_appointment() -> Value {
    json!({
        "patient_id": 1,
        "service_id": 1,
        "clinician_id": 1,
        "start": "2027-06-07T10:00:00+01:00",
        "notes": "First visit; bring the referral letter."
    })
}

pub fn booked() -> Value {
    json!({
        "attendees": [
            {
                "name": "Grace Hopper",
                "patient_id": 1,
                "status": "booked"
            }
        ],
        "capacity": 1,
        "centre_id": 1,
        "clinician_id": 1,
        "created_at": "2027-06-01T08:05:00Z",
        "end": "2027-06-07T10:30:00+01:00",
        "id": 1,
        "notes": "First visit; bring the referral letter.",
        "service_id": 1,
        "start": "2027-06-07T10:00:00+01:00",
        "status": "confirmed",
        "updated_at": "2027-06-01T08:05:00Z"
    })
}

pub fn reschedule() -> Value {
    json!({ "start": "2027-06-07T11:00:00+01:00" })
}

pub fn moved() -> Value {
    json!({
        "attendees": [
            {
                "name": "Grace Hopper",
                "patient_id": 1,
                "status": "booked"
            }
        ],
        "capacity": 1,
        "centre_id": 1,
        "clinician_id": 1,
        "created_at": "2027-06-01T08:05:00Z",
        "end": "2027-06-07T11:30:00+01:00",
        "id": 1,
        "notes": "First visit; bring the referral letter.",
        "service_id": 1,
        "start": "2027-06-07T11:00:00+01:00",
        "status": "confirmed",
        "updated_at": "2027-06-01T09:12:00Z"
    })
}

pub fn cancel() -> Value {
    json!({ "reason": "The patient is unwell." })
}

pub fn cancelled() -> Value {
    json!({
        "attendees": [
            {
                "name": "Grace Hopper",
                "patient_id": 1,
                "status": "booked"
            }
        ],
        "cancel_reason": "The patient is unwell.",
        "cancelled_by": 1,
        "capacity": 1,
        "centre_id": 1,
        "clinician_id": 1,
        "created_at": "2027-06-01T08:05:00Z",
        "end": "2027-06-07T11:30:00+01:00",
        "id": 1,
        "notes": "First visit; bring the referral letter.",
        "service_id": 1,
        "start": "2027-06-07T11:00:00+01:00",
        "status": "cancelled",
        "updated_at": "2027-06-03T16:40:00Z"
    })
}
