//! A French reader finds no English on any page of the tenant console: no text the
//! console has in English (its Fluent file) that reads differently in French is left in
//! any page's text or in the attributes people read (placeholders, labels, confirmations),
//! and amounts, numbers, dates and times are written the French way.

use std::collections::HashMap;

use reqwest::StatusCode;

use crate::helpers::*;
use crate::module_levels::*;

pub(crate) const EN: &str = include_str!("../../src/web/i18n/en/console.ftl");
pub(crate) const FR: &str = include_str!("../../src/web/i18n/fr/console.ftl");

/// The one-line messages without arguments of a Fluent file: id → text.
pub(crate) fn plain_messages(ftl: &str) -> HashMap<&str, &str> {
    ftl.lines()
        .filter(|l| !l.starts_with([' ', '#']))
        .filter_map(|l| l.split_once(" = "))
        .filter(|(_, text)| !text.contains('{') && !text.trim().is_empty())
        .map(|(id, text)| (id.trim(), text.trim()))
        .collect()
}

fn decode(text: &str) -> String {
    text.replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The console's English texts that read differently in French: text → id.
pub(crate) fn english_texts() -> HashMap<&'static str, &'static str> {
    let french = plain_messages(FR);
    plain_messages(EN)
        .into_iter()
        .filter(|(id, text)| french.get(id) != Some(text))
        .map(|(id, text)| (text, id))
        .collect()
}

/// What a person reads on a page: the text between tags (scripts and styles left out)
/// and the attributes read aloud or shown (placeholder, aria-label, hx-confirm, title).
fn readable(html: &str) -> Vec<String> {
    const READ: [&str; 4] = [
        "placeholder=\"",
        "aria-label=\"",
        "hx-confirm=\"",
        "title=\"",
    ];
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let text = decode(rest[..open].trim());
        if !text.is_empty() {
            out.push(text);
        }
        let tag_and_rest = &rest[open..];
        let close = tag_and_rest.find('>').unwrap_or(tag_and_rest.len() - 1);
        let tag = &tag_and_rest[..=close];
        for attr in READ {
            let mut t = tag;
            while let Some(i) = t.find(attr) {
                let value = &t[i + attr.len()..];
                let end = value.find('"').unwrap_or(value.len());
                out.push(decode(&value[..end]));
                t = &value[end..];
            }
        }
        rest = &tag_and_rest[close + 1..];
        for (opening, closing) in [("<script", "</script>"), ("<style", "</style>")] {
            if tag.starts_with(opening) {
                rest = rest.find(closing).map_or("", |at| &rest[at..]);
            }
        }
    }
    out.push(decode(rest.trim()));
    out
}

/// `html` without what lies from each `start` to the next `end`.
pub(crate) fn strip_between(html: &str, start: &str, end: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find(start) {
        out.push_str(&rest[..at]);
        rest = rest[at..]
            .find(end)
            .map_or("", |e| &rest[at + e + end.len()..]);
    }
    out.push_str(rest);
    out
}

/// Fails naming every English text found on `page`.
pub(crate) fn assert_french(path: &str, page: &str, english: &HashMap<&str, &str>) {
    // Words of English sentences that no French text of ours contains.
    const FRAGMENTS: [&str; 9] = [
        "Showing ",
        " ago",
        "just now",
        "Add a ",
        "Delete ",
        "Save ",
        " page 1 of",
        "No ",
        " of 1",
    ];
    let mut found = Vec::new();
    for node in readable(page) {
        if let Some(id) = english.get(node.as_str()) {
            found.push(format!("“{node}” ({id})"));
        }
        for fragment in FRAGMENTS {
            if node.contains(fragment) {
                found.push(format!("“{node}” (contains “{fragment}”)"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "English left on {path} for a French reader:\n{}",
        found.join("\n")
    );
}

#[tokio::test]
async fn a_french_reader_finds_no_english_on_any_tenant_page_and_french_formats() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "fr", "pooled", &["tasks", "inventory", "billing"]).await;
    let data = tenant_data(&tenant).await;
    sqlx::query("update tenant_settings set currency = 'EUR', timezone = 'Europe/Paris'")
        .execute(&data)
        .await
        .unwrap();

    // Records on every page: a customer with a contact and a call, a task due at a
    // given time, a product in stock, an issued invoice, a role, a token, an invitation.
    let customer = id_from(
        &ada.post(
            "/crm",
            &[("name", "Dupont SA"), ("email", ""), ("status", "active")],
        )
        .await,
    );
    ada.post(
        &format!("/crm/{customer}/contacts"),
        &[("name", "Jeanne Dupont"), ("email", ""), ("title", "")],
    )
    .await;
    ada.post(
        &format!("/crm/{customer}/interactions"),
        &[("kind", "call"), ("summary", "Premier appel")],
    )
    .await;
    let task = id_from(
        &ada.post(
            "/tasks",
            &[
                ("title", "Relancer Dupont"),
                ("description", ""),
                ("status", "todo"),
                ("priority", "high"),
                ("due_date", "2099-12-31"),
                ("due_time", "17:30"),
                ("assignee", ""),
                ("customer", &customer.to_string()),
            ],
        )
        .await,
    );
    let product = id_from(
        &ada.post(
            "/inventory",
            &[
                ("sku", "WID-1"),
                ("name", "Gadget"),
                ("price", "1234.50"),
                ("low_stock", "2"),
                ("active", "on"),
            ],
        )
        .await,
    );
    let main: String = sqlx::query_scalar("select id::text from stock_locations limit 1")
        .fetch_one(&data)
        .await
        .unwrap();
    ada.post(
        &format!("/inventory/{product}/movements"),
        &[
            ("location", main.as_str()),
            ("kind", "in"),
            ("quantity", "1500"),
            ("note", ""),
        ],
    )
    .await;
    assert_redirect_to(
        &ada.post(
            "/billing/settings/tax-rates",
            &[("name", "TVA"), ("rate", "20")],
        )
        .await,
        "/billing/settings",
    );
    let invoice = id_from(
        &ada.post("/billing", &[("customer", &customer.to_string())])
            .await,
    );
    ada.post(
        &format!("/billing/{invoice}/lines"),
        &[
            ("product", &product.to_string()),
            ("description", ""),
            ("unit_price", ""),
            ("quantity", "2"),
            ("tax_rate", ""),
        ],
    )
    .await;
    ada.post(&format!("/billing/{invoice}/issue"), &[]).await;
    ada.post("/roles", &[("name", "Ventes"), ("perm.crm", "write")])
        .await;
    ada.post("/api-tokens", &[("name", "Rapports"), ("scope", "read")])
        .await;
    ada.post(
        "/members/invite",
        &[("email", "zoe@fr.test"), ("role", "member")],
    )
    .await;

    // Ada reads French from now on.
    assert_redirect_to(&ada.post("/language", &[("language", "fr")]).await, "/");

    let english = english_texts();
    let pages = [
        "/".to_owned(),
        "/crm".to_owned(),
        format!("/crm/{customer}"),
        "/tasks".to_owned(),
        "/tasks/board".to_owned(),
        format!("/tasks/{task}"),
        "/tasks/settings".to_owned(),
        "/inventory".to_owned(),
        format!("/inventory/{product}"),
        "/inventory/locations".to_owned(),
        "/billing".to_owned(),
        format!("/billing/{invoice}"),
        format!("/billing/{invoice}/print"),
        "/billing/settings".to_owned(),
        "/members".to_owned(),
        "/roles".to_owned(),
        "/api-tokens".to_owned(),
        "/modules".to_owned(),
        "/settings".to_owned(),
        "/usage".to_owned(),
        "/audit".to_owned(),
    ];
    let mut html = HashMap::new();
    for path in &pages {
        let r = ada.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let page = body(r).await;
        assert!(page.contains("<html lang=\"fr\""), "{path}");
        // An audit event's details are the record as it was written (codes, values),
        // not the console's sentences: they are left out of the check.
        let checked = strip_between(&page, "<dl class=\"audit-details", "</dl>");
        assert_french(path, &checked, &english);
        html.insert(path.clone(), page);
    }

    // Numbers and amounts: French grouping (a narrow no-break space) and decimal comma.
    let product_page = &html[&format!("/inventory/{product}")];
    assert!(
        product_page.contains("1\u{202f}234,50 EUR"),
        "the unit price"
    );
    assert!(product_page.contains("id=\"on-hand\">1\u{202f}500"));
    let print = &html[&format!("/billing/{invoice}/print")];
    assert!(
        print.contains("id=\"total\">2\u{202f}469,00 EUR"),
        "2 × 1 234,50"
    );
    assert!(print.contains("Facturé à") && print.contains("Émise le"));
    // Dates and times in the tenant's zone, the French way.
    let task_page = &html[&format!("/tasks/{task}")];
    assert!(task_page.contains("31 déc. 2099, 17:30"), "the due time");
    assert!(html["/crm"].contains("1 client"));
    // The usage page's charts: French month names, figures and the limit's word.
    assert!(html["/usage"].contains("Limite: 1\u{202f}000\u{202f}000"));
    assert!(html["/usage"].contains("décembre 2026"));
    // The dashboard's checklist and module names.
    assert!(
        html["/"].contains("Profil de l&#39;entreprise")
            || html["/"].contains("Profil de l'entreprise")
    );

    // A refused form says why in French too.
    let refused = ada
        .post("/crm", &[("name", ""), ("email", ""), ("status", "active")])
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(refused).await;
    assert!(page.contains("Saisissez un nom de 1 à 200 caractères."));
    assert_french("/crm (refused)", &page, &english);
    // So does a flash after a change.
    ada.post(
        &format!("/crm/{customer}/interactions"),
        &[("kind", "note"), ("summary", "Deuxième note")],
    )
    .await;
    let after = body(ada.get(&format!("/crm/{customer}")).await).await;
    assert!(
        after.contains("Ajouté à l&#39;historique.") || after.contains("Ajouté à l'historique.")
    );
}
