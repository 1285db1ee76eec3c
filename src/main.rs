use std::process::ExitCode;

fn main() -> ExitCode {
    match clinicbox::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("clinicbox: {message}");
            ExitCode::FAILURE
        }
    }
}
