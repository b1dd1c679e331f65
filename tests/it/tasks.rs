//! The Tasks module: tasks with due times on the tenant's clock, assignees who are
//! members, customers from the CRM; filters, the board's htmx moves, the customer's page;
//! bad input refused; every level's side of the rules.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::module_levels::*;

async fn member_id(app: &TestApp, email: &str) -> String {
    let id: uuid::Uuid = sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id.to_string()
}

fn task<'a>(title: &'a str, due_date: &'a str, due_time: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("description", ""),
        ("status", "todo"),
        ("priority", "normal"),
        ("due_date", due_date),
        ("due_time", due_time),
        ("assignee", ""),
        ("customer", ""),
    ]
}

#[tokio::test]
async fn tasks_need_crm_live_on_the_tenants_clock_and_move_on_the_board() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "tasks", "isolated", &["tasks"]).await;
    let enabled = app.tenancy.enabled_modules(tenant.id).await.unwrap();
    assert!(enabled.contains(&"crm".to_owned()), "CRM came along");
    let data = tenant_data(&tenant).await;
    let owner: String =
        sqlx::query_scalar("select tableowner::text from pg_tables where tablename = 'tasks'")
            .fetch_one(&data)
            .await
            .unwrap();
    assert_eq!(owner, tenant.role_name, "the tenant's role owns its tables");
    sqlx::query("update tenant_settings set timezone = 'Asia/Tokyo'")
        .execute(&data)
        .await
        .unwrap();

    let customer = id_from(
        &ada.post(
            "/crm",
            &[
                ("name", "Wayne Enterprises"),
                ("email", ""),
                ("status", "lead"),
            ],
        )
        .await,
    );
    let me = member_id(&app, &format!("admin@{}.test", tenant.slug)).await;
    let customer_s = customer.to_string();
    let mut fields = task("Call Bruce", "2099-12-31", "09:30");
    fields[7] = ("customer", &customer_s);
    fields[6] = ("assignee", &me);
    let created = ada.post("/tasks", &fields).await;
    let id = id_from(&created);
    // 09:30 in Tokyo is 00:30 UTC.
    let due: String = sqlx::query_scalar(
        "select to_char(due_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') from tasks where id = $1",
    )
    .bind(id)
    .fetch_one(&data)
    .await
    .unwrap();
    assert_eq!(due, "2099-12-31 00:30");
    let page = body(ada.get(&format!("/tasks/{id}")).await).await;
    assert!(page.contains("Dec 31, 2099, 9:30\u{202f}AM") && page.contains("Asia/Tokyo"));
    assert!(
        page.contains("Wayne Enterprises") && page.contains(&format!("admin@{}.test", tenant.slug))
    );

    // An overdue task, nobody's.
    id_from(
        &ada.post("/tasks", &task("File the 2020 report", "2020-01-01", ""))
            .await,
    );

    let all = body(ada.get("/tasks").await).await;
    assert_eq!(all.matches("class=\"task-row\"").count(), 2);
    let mine = body(ada.get("/tasks?view=mine").await).await;
    assert!(mine.contains("Call Bruce") && !mine.contains("File the 2020 report"));
    let overdue = body(ada.get("/tasks?view=overdue").await).await;
    assert!(!overdue.contains("Call Bruce") && overdue.contains("File the 2020 report"));
    let searched = ada
        .client
        .get(format!("{}/tasks?q=bruce", ada.base))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    let searched = body(searched).await;
    assert!(!searched.contains("<html") && searched.contains("Call Bruce"));
    assert!(!searched.contains("File the 2020"));

    // The board: the card moves to "doing" through htmx, the board comes back.
    let board = body(ada.get("/tasks/board").await).await;
    assert!(board.contains("id=\"column-todo\"") && board.contains("Call Bruce"));
    let moved = htmx_post(&ada, &format!("/tasks/{id}/move"), &[("status", "doing")]).await;
    assert_eq!(moved.status(), StatusCode::OK);
    let moved = body(moved).await;
    assert!(!moved.contains("<html") && moved.contains("id=\"column-doing\""));
    let doing = moved
        .split("id=\"column-doing\"")
        .nth(1)
        .unwrap()
        .split("id=\"column-done\"")
        .next()
        .unwrap();
    assert!(doing.contains("Call Bruce"), "the card is in Doing now");
    let by_status = body(ada.get("/tasks?status=doing").await).await;
    assert!(by_status.contains("Call Bruce") && !by_status.contains("File the 2020"));
    let refused = htmx_post(&ada, &format!("/tasks/{id}/move"), &[("status", "lost")]).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // The customer's page lists its tasks.
    let customer_page = body(ada.get(&format!("/crm/{customer}")).await).await;
    assert!(
        customer_page.contains("id=\"customer-tasks\"") && customer_page.contains("Call Bruce")
    );

    let actions = app.audit_actions().await;
    for a in ["tasks.task_created", "tasks.task_moved"] {
        assert!(actions.contains(&a.to_owned()), "{a}");
    }

    // Disabling keeps the data; purging removes it.
    assert_redirect_to(&ada.post("/modules/tasks/disable", &[]).await, "/modules");
    assert_eq!(ada.get("/tasks").await.status(), StatusCode::NOT_FOUND);
    let kept: i64 = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(&data)
        .await
        .unwrap();
    assert_eq!(kept, 2);
    ada.post("/modules/tasks/purge", &[("confirm", "tasks")])
        .await;
    let gone: Option<String> = sqlx::query_scalar("select to_regclass('tasks')::text")
        .fetch_one(&data)
        .await
        .unwrap();
    assert_eq!(gone, None, "purged");
    data.close().await;
}

#[tokio::test]
async fn bad_task_input_is_refused_with_messages_and_stores_nothing() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "taskbad", "pooled", &["tasks"]).await;
    let other = app.provisioned_tenant("taskother", "pooled").await;
    app.create_member("eve@other.test", other.id, "admin").await;
    let stranger = member_id(&app, "eve@other.test").await;
    let long = "x".repeat(300);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (task("", "", ""), "Enter a title of 1 to 200 characters."),
        (task(&long, "", ""), "Enter a title of 1 to 200 characters."),
        (
            task("Ok", "31/12/2026", ""),
            "Enter a real date as YYYY-MM-DD",
        ),
        (
            task("Ok", "2026-02-30", ""),
            "Enter a real date as YYYY-MM-DD",
        ),
        (task("Ok", "2026-12-31", "25:61"), "Enter a time as HH:MM"),
        (task("Ok", "", "10:00"), "Give a date with the time"),
        (
            {
                let mut f = task("Ok", "", "");
                f[6] = ("assignee", &stranger);
                f
            },
            "Choose a member of this workspace.",
        ),
        (
            {
                let mut f = task("Ok", "", "");
                f[7] = ("customer", "999999");
                f
            },
            "That customer does not exist",
        ),
        (
            {
                let mut f = task("Ok", "", "");
                f[3] = ("priority", "whenever");
                f
            },
            "Choose low, normal, high or urgent.",
        ),
    ];
    for (fields, message) in cases {
        let r = ada.post("/tasks", &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(body(r).await.contains(message), "{message}");
    }
    let list = body(ada.get("/tasks").await).await;
    assert!(list.contains("No tasks match."), "nothing was stored");
    assert_eq!(
        ada.get("/tasks/424242").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ada.get("/tasks/nope").await.status(),
        StatusCode::BAD_REQUEST
    );
    let _ = tenant;
}

#[tokio::test]
async fn each_level_meets_tasks_as_the_guard_says() {
    let app = spawn_app().await;
    let (tenant, ada) = tenant_with(&app, "tasklvl", "pooled", &["tasks"]).await;
    let id = id_from(&ada.post("/tasks", &task("Existing", "", "")).await);
    let reader = member_with_levels(
        &app,
        &ada,
        &tenant,
        "rita@acme.test",
        "readers",
        &[("crm", "read"), ("tasks", "read")],
    )
    .await;
    let writer = member_with_levels(
        &app,
        &ada,
        &tenant,
        "walt@acme.test",
        "writers",
        &[("crm", "read"), ("tasks", "write")],
    )
    .await;
    let admin = member_with_levels(
        &app,
        &ada,
        &tenant,
        "adam@acme.test",
        "task admins",
        &[("crm", "read"), ("tasks", "admin")],
    )
    .await;
    let none = member_with_levels(
        &app,
        &ada,
        &tenant,
        "nora@acme.test",
        "no tasks",
        &[("crm", "read")],
    )
    .await;

    // Read sees, changes nothing.
    let list = body(reader.get("/tasks").await).await;
    assert!(list.contains("Existing") && !list.contains("id=\"new-task\""));
    assert_eq!(
        reader
            .post("/tasks", &task("Sneaky", "", ""))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        reader
            .post(&format!("/tasks/{id}/move"), &[("status", "done")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        reader.get("/tasks/settings").await.status(),
        StatusCode::FORBIDDEN
    );

    // Write changes records, not the settings.
    id_from(&writer.post("/tasks", &task("Walt's task", "", "")).await);
    assert_redirect_to(
        &writer
            .post(&format!("/tasks/{id}/move"), &[("status", "done")])
            .await,
        "/tasks/board",
    );
    assert_eq!(
        writer.get("/tasks/settings").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        writer
            .post(
                "/tasks/settings",
                &[("todo", "Backlog"), ("doing", "WIP"), ("done", "Shipped")]
            )
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Admin also reaches the settings: the labels name the board's columns.
    assert!(
        body(admin.get("/tasks").await)
            .await
            .contains("id=\"tasks-settings-link\"")
    );
    assert_redirect_to(
        &admin
            .post(
                "/tasks/settings",
                &[("todo", "Backlog"), ("doing", "WIP"), ("done", "Shipped")],
            )
            .await,
        "/tasks/settings",
    );
    let board = body(admin.get("/tasks/board").await).await;
    assert!(board.contains("Backlog") && board.contains("Shipped"));
    let bad = admin
        .post(
            "/tasks/settings",
            &[("todo", ""), ("doing", "WIP"), ("done", "Shipped")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(bad).await.contains("Use 1 to 40 characters."));
    assert!(
        app.audit_actions()
            .await
            .contains(&"tasks.settings_updated".to_owned())
    );

    // No level: the module is not theirs.
    assert_eq!(none.get("/tasks").await.status(), StatusCode::FORBIDDEN);
    assert!(!body(none.get("/").await).await.contains("href=\"/tasks\""));

    // Support reads; the app refuses its writes, and so does PostgreSQL.
    app.create_staff("sam@example.test", "support").await;
    let sam = TenantClient::opened_by_staff(&app, &tenant.slug, "sam@example.test").await;
    assert!(body(sam.get("/tasks").await).await.contains("Existing"));
    assert_eq!(
        sam.post("/tasks", &task("Sneaky", "", "")).await.status(),
        StatusCode::FORBIDDEN
    );
    let pool = app.tenancy.pool(tenant.id).await.unwrap();
    let read_only = tenantry::modules::TenantDb::new(pool, true);
    let input = tenantry::modules::tasks::TaskInput {
        title: "Sneaky".into(),
        status: "todo".into(),
        priority: "normal".into(),
        ..Default::default()
    };
    let checked = input.check(&[]).unwrap();
    let refused = tenantry::modules::tasks::create(&read_only, &checked, "sam", &[])
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("read-only transaction"),
        "{refused}"
    );
}
