"""The committed openapi.json is enough for an integrator: a client generated
from it (openapi-python-client) signs in, registers and lists patients against
the real binary, and reads errors as the documented envelope."""

import datetime
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

BINARY = os.environ.get("CLINICBOX_BIN", os.path.join(os.path.dirname(__file__), "../../target/debug/clinicbox"))
PASSWORD = "correct horse battery staple"

sys.path.insert(0, os.environ["GENERATED_CLIENT_DIR"])

from clinicbox_client import AuthenticatedClient, Client  # noqa: E402
from clinicbox_client.api.account import get_me  # noqa: E402
from clinicbox_client.api.auth import complete_setup, login  # noqa: E402
from clinicbox_client.api.patients import create_patient, get_patient, list_patients  # noqa: E402
from clinicbox_client.models import (  # noqa: E402
    ErrorEnvelope,
    FieldDetails,
    LoginRequest,
    NewPatient,
    Patient,
    PatientStatus,
    SetupRequest,
    TokenPair,
)


class GeneratedClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.TemporaryDirectory()
        cls.server = subprocess.Popen(
            [BINARY, "serve", "--data", cls.data.name, "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "CLINICBOX_LOG": "warn"},
        )
        for line in cls.server.stdout:
            match = re.search(r"(http://\S+)/setup\?token=(\w+)", line)
            if match:
                cls.base, cls.setup_token = match.group(1), match.group(2)
                break
        else:
            raise RuntimeError("the server printed no setup link")

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=20)
        cls.data.cleanup()

    def test_sign_in_register_and_list_patients(self):
        api = Client(base_url=f"{self.base}/api/v1")
        admin = complete_setup.sync_detailed(
            client=api,
            body=SetupRequest(token=self.setup_token, email="owner@clinic.test", name="Owner", password=PASSWORD),
        )
        self.assertEqual(admin.status_code, 201)

        refused = login.sync(client=api, body=LoginRequest(email="owner@clinic.test", password="not the password"))
        self.assertIsInstance(refused, ErrorEnvelope)
        self.assertEqual(refused.error.code, "INVALID_CREDENTIALS")

        tokens = login.sync(client=api, body=LoginRequest(email="owner@clinic.test", password=PASSWORD))
        self.assertIsInstance(tokens, TokenPair)
        authed = AuthenticatedClient(base_url=f"{self.base}/api/v1", token=tokens.access_token)
        self.assertEqual(get_me.sync(client=authed).email, "owner@clinic.test")

        created = create_patient.sync(
            client=authed,
            body=NewPatient(given_name="Grace", family_name="Hopper", phone="07911 123456", date_of_birth=datetime.date(1946, 12, 9)),
        )
        self.assertIsInstance(created, Patient)
        self.assertEqual(created.phone, "+447911123456")
        self.assertEqual(created.status, PatientStatus.ACTIVE)
        self.assertEqual(str(created.date_of_birth), "1946-12-09")

        invalid = create_patient.sync(client=authed, body=NewPatient(given_name="", family_name="X", email="nope"))
        self.assertIsInstance(invalid, ErrorEnvelope)
        self.assertEqual(invalid.error.code, "VALIDATION_FAILED")
        # The details are typed by their code: a validation failure names its fields.
        self.assertIsInstance(invalid.error.details, FieldDetails)
        self.assertIn("given_name", invalid.error.details.fields.additional_properties)

        # Search follows writes within a second (the index is updated after commit).
        for _ in range(100):
            listed = list_patients.sync(client=authed, q="hopp", page_size=10)
            if listed.pagination.total:
                break
            time.sleep(0.05)
        self.assertEqual(listed.pagination.total, 1)
        self.assertEqual(listed.data[0].id, created.id)
        self.assertEqual(get_patient.sync(id=created.id, client=authed).family_name, "Hopper")


if __name__ == "__main__":
    unittest.main(verbosity=2)
