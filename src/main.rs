use std::process::ExitCode;

fn main() -> ExitCode {
    match clinicbox::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("clinicbox: {}", err.full_message());
            ExitCode::FAILURE
        }
    }
}
