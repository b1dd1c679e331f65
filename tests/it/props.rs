//! Property tests of the rules that stand between request input and the database: host
//! and path tenant resolution, slugs, DDL identifiers, form parsing, and the SCRAM,
//! sealing and token helpers. 256 generated cases each (proptest's default), pure and
//! fast; a failure prints the minimal input, to be kept below as a regression case.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{Request, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use tenantry::auth::token;
use tenantry::pg::ident::Ident;
use tenantry::tenancy::crypto::MasterKey;
use tenantry::tenancy::resolve::split_tenant_path;
use tenantry::tenancy::scram;
use tenantry::tenancy::slug::{RESERVED, Slug};
use tenantry::web::error::AppError;
use tenantry::web::form::{Form, MAX_PAGE, page_number, safe_next};
use tenantry::web::meta::request_host;

/// The slug rule, written out independently of `Slug::parse`.
fn slug_rule(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=40).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && !RESERVED.contains(&s)
}

/// Anything: unicode, controls, quotes, NUL, look-alike letters.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9_\\-\\.\"';:/\\\\ \u{0}\u{130}\u{131}\u{17f}\u{212a}]{0,70}",
    ]
}

fn valid_slug() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{1,38}[a-z0-9]".prop_filter("not reserved", |s| !RESERVED.contains(&s.as_str()))
}

fn parts_with_host(host: &[u8]) -> Option<axum::http::request::Parts> {
    let value = header::HeaderValue::from_bytes(host).ok()?;
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.headers.insert(header::HOST, value);
    Some(parts)
}

proptest! {
    #[test]
    fn a_slug_is_accepted_exactly_when_it_follows_the_rule(input in any_text()) {
        let parsed = Slug::parse(&input);
        prop_assert_eq!(parsed.is_ok(), slug_rule(&input), "{:?}", input);
    }

    #[test]
    fn valid_slugs_map_to_distinct_valid_identifiers(a in valid_slug(), b in valid_slug()) {
        let (sa, sb) = (Slug::parse(&a).unwrap(), Slug::parse(&b).unwrap());
        prop_assert_eq!(sa.as_str(), a.as_str());
        for (x, y) in [
            (sa.database(), sb.database()),
            (sa.role(), sb.role()),
            (sa.schema(), sb.schema()),
        ] {
            // Each name is itself a valid identifier, and no two slugs share one.
            prop_assert!(Ident::new(x.as_str()).is_ok());
            prop_assert_eq!(x == y, a == b);
        }
    }

    #[test]
    fn an_identifier_is_the_strict_pattern_and_always_quoted(input in any_text()) {
        let rule = input.len() <= 63
            && input.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && input.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        match Ident::new(&input) {
            Ok(ident) => {
                prop_assert!(rule, "{:?} accepted", input);
                prop_assert_eq!(ident.to_string(), format!("\"{input}\""));
            }
            Err(_) => prop_assert!(!rule, "{:?} refused", input),
        }
    }

    #[test]
    fn a_host_header_is_normalised_or_ignored(raw in proptest::collection::vec(any::<u8>(), 0..80)) {
        let Some(parts) = parts_with_host(&raw) else { return Ok(()) };
        if let Some(host) = request_host(&parts) {
            prop_assert!(!host.is_empty() && host.len() <= 253);
            prop_assert!(host.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'), "{:?}", host);
            prop_assert!(!host.ends_with('.'));
        }
    }

    #[test]
    fn a_tenant_host_names_its_slug(slug in valid_slug(), port in proptest::option::of(1u16..), upper in any::<bool>()) {
        let mut host = format!("{slug}.localhost");
        if upper {
            host = host.to_ascii_uppercase();
        }
        if let Some(port) = port {
            host = format!("{host}:{port}");
        }
        let parts = parts_with_host(host.as_bytes()).unwrap();
        prop_assert_eq!(request_host(&parts), Some(format!("{slug}.localhost")));
        let resolver = resolver();
        let named = format!("{slug}.localhost");
        prop_assert_eq!(resolver.slug_from_host(&named), Some(slug.as_str()));
        // A deeper name or another base domain names no slug.
        let deeper = format!("x.{slug}.localhost");
        let other = format!("{slug}.localhost.evil");
        prop_assert_eq!(resolver.slug_from_host(&deeper), None);
        prop_assert_eq!(resolver.slug_from_host(&other), None);
    }

    #[test]
    fn slug_from_host_only_strips_the_base_domain(host in any_text()) {
        if let Some(label) = resolver().slug_from_host(&host) {
            prop_assert_eq!(format!("{label}.localhost"), host.clone());
            prop_assert!(!label.contains('.'));
        }
    }

    #[test]
    fn a_tenant_path_splits_into_slug_and_rest(path in any_text()) {
        if let Some((slug, rest)) = split_tenant_path(&path) {
            prop_assert!(!slug.is_empty() && !slug.contains('/'));
            prop_assert!(rest.starts_with('/'));
            let joined = if path.len() == 3 + slug.len() { format!("/t/{slug}") } else { format!("/t/{slug}{rest}") };
            prop_assert_eq!(joined, path.clone());
        } else {
            prop_assert!(!path.starts_with("/t/") || path == "/t/" || path.starts_with("/t//"));
        }
    }

    #[test]
    fn tenant_paths_round_trip(slug in valid_slug(), rest in "(/[a-z0-9?=&%._-]{0,20}){0,3}") {
        let path = format!("/t/{slug}{rest}");
        let want = if rest.is_empty() { "/" } else { rest.as_str() };
        prop_assert_eq!(split_tenant_path(&path), Some((slug.as_str(), want)));
    }

    #[test]
    fn next_targets_stay_on_this_site(next in proptest::option::of(any_text())) {
        let target = safe_next(next.as_deref());
        prop_assert!(target.starts_with('/'));
        prop_assert!(!target.starts_with("//") && !target.starts_with("/\\"));
        prop_assert!(!target.chars().any(char::is_control));
        prop_assert_eq!(safe_next(Some(&target)), target.clone());
    }

    #[test]
    fn page_numbers_never_make_an_overflowing_offset(raw in any::<i64>(), per_page in 1i64..=500) {
        let page = page_number(raw);
        prop_assert!((0..=MAX_PAGE).contains(&page));
        prop_assert!(page.checked_mul(per_page).is_some());
    }

    #[test]
    fn a_form_body_is_read_or_refused_as_a_bad_request(body in proptest::collection::vec(any::<u8>(), 0..300), urlencoded in any::<bool>()) {
        let content_type = if urlencoded { "application/x-www-form-urlencoded" } else { "text/plain" };
        let req = Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.clone()))
            .unwrap();
        let read = runtime().block_on(Form::<HashMap<String, String>>::from_request(req, &()));
        match read {
            Ok(Form(map)) => {
                prop_assert!(urlencoded);
                // What was read is what the body says, field by field.
                let want: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
                prop_assert_eq!(map, want);
            }
            Err(AppError::BadRequest(_) | AppError::PayloadTooLarge) => {}
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn form_fields_round_trip(fields in proptest::collection::hash_map("[^\u{0}]{1,12}", any::<String>(), 0..6)) {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
        let req = Request::builder()
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let Form(read) = runtime()
            .block_on(Form::<HashMap<String, String>>::from_request(req, &()))
            .expect("a well-formed form is read");
        prop_assert_eq!(read, fields);
    }

    #[test]
    fn scram_verifiers_have_postgres_shape_and_are_salted(password in any::<String>()) {
        let verifier = scram::verifier(&password);
        let rest = verifier.strip_prefix("SCRAM-SHA-256$").expect("mechanism");
        let (params, keys) = rest.split_once('$').expect("two parts");
        let (iterations, salt) = params.split_once(':').expect("iterations:salt");
        prop_assert_eq!(iterations.parse::<u32>().unwrap(), scram::ITERATIONS);
        prop_assert_eq!(STANDARD.decode(salt).unwrap().len(), 16);
        let (stored, server) = keys.split_once(':').expect("stored:server");
        prop_assert_eq!(STANDARD.decode(stored).unwrap().len(), 32);
        prop_assert_eq!(STANDARD.decode(server).unwrap().len(), 32);
        prop_assert_ne!(scram::verifier(&password), verifier.clone(), "salted");
    }

    #[test]
    fn sealed_secrets_open_only_intact_and_with_their_key(
        plain in proptest::collection::vec(any::<u8>(), 0..200),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
        cut in any::<prop::sample::Index>(),
        junk in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let key = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        let other = MasterKey::from_bytes(&[8u8; 32]).unwrap();
        let sealed = key.seal(&plain);
        prop_assert_eq!(key.open(&sealed).unwrap(), plain.clone());
        prop_assert!(other.open(&sealed).is_err(), "another key");
        let mut tampered = sealed.clone();
        let i = flip.index(tampered.len());
        tampered[i] ^= 1 << bit;
        prop_assert!(key.open(&tampered).is_err(), "a flipped bit");
        let short = &sealed[..cut.index(sealed.len())];
        prop_assert!(key.open(short).is_err(), "truncated");
        // Arbitrary bytes are refused, never a panic.
        prop_assert!(key.open(&junk).is_err());
        prop_assert_ne!(key.seal(&plain), sealed, "a fresh nonce each time");
    }

    #[test]
    fn tokens_compare_exactly(a in any::<String>(), b in any::<String>()) {
        prop_assert_eq!(token::equals(&a, &b), a == b);
        prop_assert_eq!(token::hash(&a) == token::hash(&b), a == b);
        let (plain, hash) = token::generate();
        prop_assert_eq!(URL_SAFE_NO_PAD.decode(&plain).unwrap().len(), 32);
        prop_assert_eq!(token::hash(&plain), hash);
        prop_assert!(!token::equals(&plain, &a) || plain == a);
    }
}

/// A resolver for the default base domain; it never reaches its (unconnected) pool here.
fn resolver() -> tenantry::tenancy::resolve::Resolver {
    let rt = runtime();
    let _in = rt.enter();
    let pool = sqlx::PgPool::connect_lazy("postgres://nobody@127.0.0.1:1/none").expect("lazy pool");
    tenantry::tenancy::resolve::Resolver::new(
        pool,
        &tenantry::cache::Freshness::new(),
        "localhost",
        false,
        vec![],
    )
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    })
}
