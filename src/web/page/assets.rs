//! The page's static files, compiled into the binary and served with a year of caching.
//!
//! URLs carry `?v=<hash of all assets>`: a build that changes any file changes every URL, so
//! browsers (and Home Assistant's Ingress) never mix an old script with a new page.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::web::error::ApiError;

/// One bundled file.
struct Asset {
    name: &'static str,
    body: &'static [u8],
    content_type: &'static str,
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// An asset compiled in from `static/<dir><name>`.
macro_rules! asset {
    ($dir:literal, $name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            body: include_bytes!(concat!("../../../static/", $dir, $name)),
            content_type: $content_type,
        }
    };
}

const OWN: &[Asset] = &[
    asset!("", "app.css", CSS),
    asset!("", "app.js", JS),
    asset!("", "views.js", JS),
    asset!("", "charts.js", JS),
    asset!("", "alerts.js", JS),
    asset!("", "analysis.js", JS),
    asset!("", "leases.js", JS),
    asset!("", "hosts.js", JS),
    asset!("", "advice.js", JS),
    asset!("", "storage.js", JS),
];

const VENDOR: &[Asset] = &[
    asset!("vendor/", "uPlot.iife.min.js", JS),
    asset!("vendor/", "uPlot.min.css", CSS),
    asset!("vendor/", "uPlot.LICENSE.txt", "text/plain; charset=utf-8"),
];

/// Short content hash of every asset (FNV-1a), computed once; immutable afterwards.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for asset in OWN.iter().chain(VENDOR) {
        for byte in asset.name.bytes().chain(asset.body.iter().copied()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:012x}", hash >> 16)
});

/// The `v` query value of asset URLs.
pub fn version() -> &'static str {
    &VERSION
}

fn serve(list: &[Asset], name: &str) -> Response {
    let Some(asset) = list.iter().find(|a| a.name == name) else {
        return ApiError::NotFound(format!("no asset named '{name}'")).into_response();
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        asset.body,
    )
        .into_response()
}

/// `GET /static/{file}`: the dashboard's own files.
pub async fn own(Path(file): Path<String>) -> Response {
    serve(OWN, &file)
}

/// `GET /static/vendor/{file}`: third-party files with their licences.
pub async fn vendor(Path(file): Path<String>) -> Response {
    serve(VENDOR, &file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_a_stable_short_hash() {
        assert_eq!(version().len(), 12);
        assert_eq!(version(), version());
        assert!(version().bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
