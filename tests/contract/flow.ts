// The integrator's first script, written against a TypeScript client
// generated from the committed openapi.json (@hey-api/openapi-ts) and
// compiled with `tsc --strict`: sign in, set up a clinic, book, list the
// day, double-book (typed SLOT_TAKEN details), clear an email with null,
// cancel with no body, read the history. Run against the real binary.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { createClient } from "./client/client";
import {
  cancelAppointment,
  completeSetup,
  createAppointment,
  createCentre,
  createClinician,
  createPatient,
  createService,
  getAppointmentHistory,
  listAppointments,
  login,
  replaceAvailability,
  updatePatient,
} from "./client";
import type { ErrorEnvelope, SlotTakenDetails } from "./client";

const PASSWORD = "correct horse battery staple";

async function startServer(binary: string, data: string) {
  const server = spawn(binary, ["serve", "--data", data, "--listen", "127.0.0.1:0"], {
    env: { ...process.env, CLINICBOX_LOG: "warn" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  for await (const line of createInterface({ input: server.stdout })) {
    const [, base, setupToken] = /(http:\/\/\S+)\/setup\?token=(\w+)/.exec(line) ?? [];
    if (base && setupToken) return { server, base, setupToken };
  }
  throw new Error("the server printed no setup link");
}

/** The slot-taken facts, if these error details are them. */
function slotTaken(error: ErrorEnvelope): SlotTakenDetails | undefined {
  const details = error.error.details;
  return error.error.code === "SLOT_TAKEN" && details && "start" in details ? details : undefined;
}

/** A Monday at least a week ahead, as YYYY-MM-DD. */
function mondayAhead(): string {
  const day = new Date(Date.now() + 8 * 24 * 3600 * 1000);
  while (day.getUTCDay() !== 1) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

async function main() {
  const binary = process.env.CLINICBOX_BINARY ?? join(__dirname, "..", "..", "..", "target", "debug", "clinicbox");
  const data = mkdtempSync(join(tmpdir(), "clinicbox-ts-"));
  const { server, base, setupToken } = await startServer(binary, data);
  try {
    let token: string | undefined;
    const client = createClient({
      baseUrl: `${base}/api/v1`,
      auth: (scheme) => (scheme.scheme === "bearer" ? token : undefined),
    });

    const setup = await completeSetup({
      client,
      body: { token: setupToken, email: "owner@clinic.test", name: "Owner", password: PASSWORD },
    });
    assert.equal(setup.response.status, 201);
    const signedIn = await login({ client, body: { email: "owner@clinic.test", password: PASSWORD } });
    assert.ok(signedIn.data, "signed in");
    // A sign-in answers tokens, or the MFA step when the account has MFA on.
    assert.ok("access_token" in signedIn.data, "no MFA on a new account");
    assert.equal(signedIn.data.mfa_required, false);
    token = signedIn.data.access_token;

    const centre = await createCentre({ client, body: { name: "Harbour", timezone: "UTC" } });
    assert.ok(centre.data, JSON.stringify(centre.error));
    const clinician = await createClinician({
      client,
      body: { display_name: "Dr Lin", centre_ids: [centre.data.id] },
    });
    assert.ok(clinician.data, JSON.stringify(clinician.error));
    const service = await createService({
      client,
      body: {
        name: "Consultation",
        duration_minutes: 30,
        price: { amount_minor: 5000, currency: "GBP" },
        modality: "in_person",
        clinician_ids: [clinician.data.id],
      },
    });
    assert.ok(service.data, JSON.stringify(service.error));
    const hours = await replaceAvailability({
      client,
      path: { id: clinician.data.id },
      body: [{ weekday: 1, start: "09:00", end: "17:00", centre_id: centre.data.id }],
    });
    assert.ok(hours.data, JSON.stringify(hours.error));
    const ada = await createPatient({ client, body: { given_name: "Ada", family_name: "Byron", email: "ada@example.org" } });
    assert.ok(ada.data, JSON.stringify(ada.error));
    const bo = await createPatient({ client, body: { given_name: "Bo", family_name: "Reed" } });
    assert.ok(bo.data, JSON.stringify(bo.error));

    const day = mondayAhead();
    const start = `${day}T10:00:00Z`;
    const booking = { service_id: service.data.id, clinician_id: clinician.data.id, start };
    const booked = await createAppointment({ client, body: { ...booking, patient_id: ada.data.id } });
    assert.ok(booked.data, JSON.stringify(booked.error));
    assert.equal(booked.data.start, start, "UTC is written Z");
    const appointmentId = booked.data.id;

    const listed = await listAppointments({ client, query: { date: day, centre_id: centre.data.id } });
    assert.ok(listed.data, JSON.stringify(listed.error));
    assert.deepEqual(
      listed.data.data.map((a) => a.id),
      [appointmentId],
    );

    const twice = await createAppointment({ client, body: { ...booking, patient_id: bo.data.id } });
    assert.equal(twice.response.status, 409);
    assert.ok(twice.error, "double booking is refused");
    const clash = slotTaken(twice.error);
    assert.ok(clash, JSON.stringify(twice.error));
    assert.equal(clash.appointment_id, appointmentId);
    assert.equal(clash.start, start);
    assert.equal(twice.error.error.request_id, twice.response.headers.get("x-request-id"));

    const cleared = await updatePatient({ client, path: { id: ada.data.id }, body: { email: null } });
    assert.ok(cleared.data, JSON.stringify(cleared.error));
    assert.equal(cleared.data.email, undefined, "the email is cleared");

    const cancelled = await cancelAppointment({ client, path: { id: appointmentId } });
    assert.ok(cancelled.data, JSON.stringify(cancelled.error));
    assert.equal(cancelled.data.status, "cancelled");

    const history = await getAppointmentHistory({ client, path: { id: appointmentId } });
    assert.ok(history.data, JSON.stringify(history.error));
    const changes = history.data.data.map((item) => item.change);
    assert.deepEqual(changes, ["created", "cancel"]);
    assert.ok(history.data.data.every((item) => item.at.endsWith("Z")), "system instants are UTC with Z");
    console.log("the TypeScript client's flow passed");
  } finally {
    // Wait for a clean stop: the server commits its index on the way out.
    if (server.exitCode === null) {
      const stopped = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await stopped;
    }
    rmSync(data, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
