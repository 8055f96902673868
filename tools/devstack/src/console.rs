//! The analyst console's static files (`console/` at the repository root), as the local gateway
//! serves them under `/console/`; deployed, the template's static hosting serves the same files.

use std::path::PathBuf;

use http_body_util::Full;
use hyper::body::Bytes;

/// The file a `/console...` path names, with its content type; `None` for other paths and for
/// anything that is not a plain file name under `console/`.
pub fn asset(path: &str) -> Option<(Vec<u8>, &'static str)> {
    let relative = match path {
        "/console" | "/console/" => "index.html",
        _ => path.strip_prefix("/console/")?,
    };
    let plain = relative.split('/').all(|part| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    });
    if !plain {
        return None;
    }
    let content_type = match relative.rsplit('.').next()? {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => return None,
    };
    let file: PathBuf = crate::repo_root().join("console").join(relative);
    Some((std::fs::read(file).ok()?, content_type))
}

/// The answer for a console file: its bytes, its type, and headers that keep the page to its
/// own scripts and to the API of its own origin.
pub fn response(bytes: Vec<u8>, content_type: &str) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .header("content-type", content_type)
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .header(
            "content-security-policy",
            // Connections may also go to loopback: the identity provider of the browser tests.
            "default-src 'self'; connect-src 'self' http://127.0.0.1:*; img-src 'self' data:; \
             frame-ancestors 'none'; base-uri 'none'",
        )
        .body(Full::new(Bytes::from(bytes)))
        .unwrap_or_default()
}
