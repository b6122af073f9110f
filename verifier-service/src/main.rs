//! `stele-verifier`: runs the verifier service.

#![forbid(unsafe_code)]

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:8080").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("stele-verifier: cannot listen on 127.0.0.1:8080: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    if let Err(e) = axum::serve(listener, stele_verifier::router()).await {
        eprintln!("stele-verifier: {e}");
        return std::process::ExitCode::from(1);
    }
    std::process::ExitCode::SUCCESS
}
