//! The responses every operation can give, added to the OpenAPI document
//! once here instead of by hand on each handler: what the extractors and
//! layers in front of the handlers answer (unreadable JSON, a body that is
//! too large or not JSON, a bad path or query string, a missing credential
//! or CSRF header) and what any handler may answer when the database fails.
//! `scripts/fuzz-api` checks that the document lists every status the
//! server sends.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, PathItem, Ref, RefOr, Response, ResponseBuilder};

/// A shared response: its component name, status and description.
struct Shared {
    name: &'static str,
    status: &'static str,
    description: &'static str,
}

const MALFORMED_JSON: Shared = Shared {
    name: "MalformedJson",
    status: "400",
    description: "The request is not valid: `malformed_json` (the body is not JSON), \
                  `invalid_path` or `invalid_query` (a parameter of the wrong type), or \
                  `invalid_input` with `fields` naming each field at fault",
};
const BAD_PARAMETER: Shared = Shared {
    name: "BadParameter",
    status: "400",
    description: "A parameter is not valid: `invalid_path`, `invalid_query`, or `invalid_input` \
                  with `fields` naming it",
};
const UNAUTHENTICATED: Shared = Shared {
    name: "Unauthenticated",
    status: "401",
    description: "`unauthenticated`: nobody is signed in, or the API token is not valid or has \
                  expired",
};
const CSRF: Shared = Shared {
    name: "CsrfOrForbidden",
    status: "403",
    description: "`csrf`: a write signed in with a browser session must send the \
                  `x-stigmergy-csrf` header; or `forbidden`: not allowed",
};
const NOT_FOUND: Shared = Shared {
    name: "NotFound",
    status: "404",
    description: "`not_found`: nothing has that id",
};
const TOO_LARGE: Shared = Shared {
    name: "PayloadTooLarge",
    status: "413",
    description: "`payload_too_large`: the body is over 1 MiB",
};
const NOT_JSON: Shared = Shared {
    name: "UnsupportedMediaType",
    status: "415",
    description: "`unsupported_media_type`: the body must be sent with \
                  `Content-Type: application/json`",
};
const WRONG_SHAPE: Shared = Shared {
    name: "InvalidJson",
    status: "422",
    description: "`invalid_json`: the JSON does not have the documented shape (a missing \
                  field, a wrong type, an unknown enum value)",
};
const INTERNAL: Shared = Shared {
    name: "Internal",
    status: "500",
    description: "`internal`: a fault on the server's side, logged there",
};
const UNAVAILABLE: Shared = Shared {
    name: "Unavailable",
    status: "503",
    description: "`unavailable`: the database is not answering; the server is checking as \
                  many passwords as it does at once and this one's turn did not come (with \
                  Retry-After); or the request took longer than the request timeout (30 s \
                  unless configured, `STIGMERGY_REQUEST_TIMEOUT`; with Retry-After)",
};

const ALL: [&Shared; 10] = [
    &MALFORMED_JSON,
    &BAD_PARAMETER,
    &UNAUTHENTICATED,
    &CSRF,
    &NOT_FOUND,
    &TOO_LARGE,
    &NOT_JSON,
    &WRONG_SHAPE,
    &INTERNAL,
    &UNAVAILABLE,
];

/// Adds the shared responses to every operation of `doc` that can give
/// them; a response an operation documents itself is kept as it is.
pub fn add_shared_responses(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for shared in ALL {
        components
            .responses
            .insert(shared.name.to_owned(), RefOr::T(error_response(shared)));
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let path_parameters = path.contains('{');
        for (method, operation) in operations(item) {
            let write = method != "get";
            let mut add = |shared: &Shared| {
                operation
                    .responses
                    .responses
                    .entry(shared.status.to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(shared.name)));
            };
            if operation.request_body.is_some() {
                add(&MALFORMED_JSON);
                add(&TOO_LARGE);
                add(&NOT_JSON);
                add(&WRONG_SHAPE);
            }
            let query = operation
                .parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in == ParameterIn::Query);
            if path_parameters || query {
                add(&BAD_PARAMETER);
            }
            if path_parameters {
                add(&NOT_FOUND);
            }
            if needs_account(path, method) {
                add(&UNAUTHENTICATED);
            }
            if write {
                add(&CSRF);
            }
            add(&INTERNAL);
            add(&UNAVAILABLE);
        }
    }
}

/// Whether the operation needs someone signed in: every write except
/// signing up, in and out, and everything under `/api/me`.
fn needs_account(path: &str, method: &str) -> bool {
    path.starts_with("/api/me") || (method != "get" && !path.starts_with("/api/auth/"))
}

fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
        ("head", item.head.as_mut()),
        ("options", item.options.as_mut()),
        ("trace", item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|o| (method, o)))
    .collect()
}

fn error_response(shared: &Shared) -> Response {
    ResponseBuilder::new()
        .description(shared.description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}
