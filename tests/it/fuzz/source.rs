//! What the source declares: every route (each `.route(` in `src/web`) and the fields
//! of the forms and queries handlers read, so the fuzz keeps up with new pages.

use std::collections::BTreeMap;
use std::path::Path;

/// A route as declared: its path pattern and methods.
#[derive(Debug, Clone)]
pub(super) struct Route {
    pub(super) path: String,
    pub(super) methods: Vec<&'static str>,
}

/// Every `.route("…", get(…).post(…))` in `src/web`.
pub(super) fn declared_routes() -> Vec<Route> {
    let mut found = Vec::new();
    visit(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web"),
        &mut |text| {
            let mut rest = text;
            while let Some(i) = rest.find(".route(") {
                rest = &rest[i + ".route(".len()..];
                let Some(path) = rest
                    .trim_start()
                    .strip_prefix('"')
                    .and_then(|r| r.split('"').next())
                else {
                    continue;
                };
                // The call's arguments: up to the parenthesis that closes `.route(`.
                let mut depth = 1;
                let end = rest
                    .char_indices()
                    .find(|(_, c)| {
                        match c {
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .map_or(rest.len(), |(i, _)| i);
                let args = &rest[..end];
                let methods = ["get", "post", "put", "patch", "delete"]
                    .into_iter()
                    .filter(|m| {
                        args.match_indices(&format!("{m}(")).any(|(i, _)| {
                            i == 0
                                || !args.as_bytes()[i - 1].is_ascii_alphanumeric()
                                    && args.as_bytes()[i - 1] != b'_'
                        })
                    })
                    .collect();
                found.push(Route {
                    path: path.to_owned(),
                    methods,
                });
            }
        },
    );
    found
}

/// Fields of the forms and queries handlers read (`#[derive(Deserialize)]` structs), with
/// their declared types (the first declaration of a name wins).
pub(super) fn declared_fields() -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    visit(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web"),
        &mut |text| {
            for chunk in text.split("Deserialize").skip(1) {
                let Some(body) = chunk
                    .split_once('{')
                    .and_then(|(head, body)| head.contains("struct").then_some(body))
                else {
                    continue;
                };
                let body = body.split('}').next().unwrap_or_default();
                for line in body.lines() {
                    let line = line.trim().trim_start_matches("pub ");
                    if let Some((name, ty)) = line.split_once(':')
                        && !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    {
                        let ty = ty.trim().trim_end_matches(',').to_owned();
                        fields.entry(name.to_owned()).or_insert(ty);
                    }
                }
            }
        },
    );
    fields
}

pub(super) fn visit(dir: &Path, each: &mut impl FnMut(&str)) {
    for entry in std::fs::read_dir(dir).expect("src/web").flatten() {
        let path = entry.path();
        if path.is_dir() {
            visit(&path, each);
        } else if path.extension().is_some_and(|e| e == "rs") {
            each(&std::fs::read_to_string(&path).expect("read"));
        }
    }
}
