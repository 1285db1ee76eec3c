//! The web UI, embedded in the binary and served as-is with content-hash
//! ETags. Paths that are not files fall back to `index.html`, so the UI's
//! own routes (`/patients/12`) survive a reload.

use poem::endpoint::make_sync;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, Request, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

fn serve_file(req: &Request, path: &str) -> Option<Response> {
    let file = Assets::get(path)?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    if req.header(header::IF_NONE_MATCH) == Some(etag.as_str()) {
        return Some(Response::builder().status(StatusCode::NOT_MODIFIED).header(header::ETAG, etag).finish());
    }
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut response =
        Response::builder().content_type(mime.essence_str()).header(header::ETAG, etag).body(file.data.into_owned());
    // Names carry no hash, so browsers revalidate each time (a cheap 304).
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(response)
}

pub fn endpoint() -> impl Endpoint<Output = Response> {
    make_sync(|req: Request| {
        let req = &req;
        let path = req.uri().path().trim_start_matches('/');
        let path = if path.is_empty() { "index.html" } else { path };
        if let Some(response) = serve_file(req, path) {
            return response;
        }
        let last_segment = path.rsplit('/').next().unwrap_or_default();
        if !last_segment.contains('.')
            && let Some(response) = serve_file(req, "index.html")
        {
            return response;
        }
        Response::builder().status(StatusCode::NOT_FOUND).finish()
    })
}
