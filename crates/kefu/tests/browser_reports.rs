//! The supervisor's reports in a real browser (issue 12): a supervisor signs in, opens
//! Reports from the menu, picks last week for the Taobao shop, reads each KPI against its
//! target with the chart, clicks the first-response figure, gets the conversations that
//! missed their clock, and downloads them as CSV — and every number on the way equals the
//! API's, which the property tests hold to the brute-force oracle.
//!
//! The history is `kefu demo`'s: two weeks of conversations written at their own past times
//! (first replies within minutes or hours, resolutions), so last week has clocks met and
//! missed. Needs Debian's `chromium` and `chromium-driver` (the test command installs them).
//! Writes `docs/screenshots/reports.png` and `reports-drill.png`.

// A test tells one story; the 100-line bar on functions is for code outside tests.
#![allow(clippy::too_many_lines)]
// The real binary runs on the system clock, so the tests read the same clock for their data.
#![allow(clippy::disallowed_methods)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::webdriver::Browser;
use common::{Server, kefu};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);
const PASSWORD: &str = "a long enough password";
const SUPERVISOR: &str = "wei.chen@example.com";

fn run(args: &[&str]) -> String {
    let out = kefu().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "kefu {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn js(text: &str) -> String {
    Value::from(text).to_string()
}

fn eval(browser: &Browser, expression: &str) -> Value {
    browser.execute(&format!("return {expression};"), vec![])
}

fn text_of(browser: &Browser, selector: &str) -> String {
    eval(
        browser,
        &format!(
            "(function (e) {{ return e ? e.textContent : ''; }})(document.querySelector({}))",
            js(selector)
        ),
    )
    .as_str()
    .unwrap_or_default()
    .to_string()
}

fn loaded(path: &str) -> String {
    format!(
        "location.pathname === {} && document.readyState === 'complete'",
        js(path)
    )
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

fn picture(browser: &Browser, name: &str) {
    browser.execute(
        "document.documentElement.style.zoom = '0.8'; window.scrollTo(0, 0);",
        vec![],
    );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/screenshots")
        .join(name);
    browser.screenshot(&path);
    browser.execute("document.documentElement.style.zoom = '';", vec![]);
}

#[test]
fn a_supervisor_reads_last_weeks_taobao_figures_and_drills_into_the_missed_first_responses() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("kefu.db").display());
    run(&["demo", "--db", &db, "--conversations", "450"]);
    common::supervisor(&db, SUPERVISOR, "Chen Wei", PASSWORD);
    let server = Server::start(&db, &[]);
    let base = format!("http://{}", server.addr);
    let (status, shops) = server.call("GET", "/api/v1/shops", None);
    assert_eq!(status, 200, "{shops}");
    let taobao = shops["shops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["platform"] == "taobao")
        .expect("the demo's Taobao shop")["id"]
        .as_i64()
        .unwrap();

    let browser = Browser::start();
    browser.sign_in(&base, SUPERVISOR, PASSWORD, WAIT);

    // Reports, from the menu.
    let link =
        browser.find("return document.querySelector('header.top nav a[href=\"/reports\"]');");
    browser.click(&link);
    browser.wait_until(&loaded("/reports"), WAIT);
    assert!(text_of(&browser, "h1").contains("Reports"));

    // The Taobao shop, last week.
    browser.execute(
        "document.querySelector('select[name=shop]').value = arguments[0];
         document.querySelector('select[name=period]').value = 'last_week';",
        vec![json!(taobao.to_string())],
    );
    let show = browser.find("return document.querySelector('form.filters button[type=submit]');");
    browser.click(&show);
    browser.wait_until(
        &format!(
            "{} && location.search.indexOf('period=last_week') >= 0",
            loaded("/reports")
        ),
        WAIT,
    );
    let (from, to) = (
        eval(
            &browser,
            "document.getElementById('period-shown').dataset.from",
        ),
        eval(
            &browser,
            "document.getElementById('period-shown').dataset.to",
        ),
    );
    let (from, to) = (from.as_str().unwrap(), to.as_str().unwrap());
    // Last week in the shop's calendar: Monday 00:00 in Beijing is Sunday 16:00 UTC.
    assert!(from.ends_with("T16:00:00+00:00"), "{from}");
    let span = chrono::DateTime::parse_from_rfc3339(to).unwrap()
        - chrono::DateTime::parse_from_rfc3339(from).unwrap();
    assert_eq!(span, chrono::Duration::days(7));

    // Each KPI with its target, as the API computes it.
    let (status, api) = server.call(
        "GET",
        &format!(
            "/api/v1/reports/kpis?shop_id={taobao}&from={}&to={}",
            urlencode(from),
            urlencode(to)
        ),
        None,
    );
    assert_eq!(status, 200, "{api}");
    let fr = &api["first_response"];
    let (count, met) = (fr["count"].as_u64().unwrap(), fr["met"].as_u64().unwrap());
    assert!(
        count > 10 && met > 0 && met < count,
        "a history that tests little: {api}"
    );
    let tile = text_of(&browser, "#kpi-first-response");
    assert!(tile.contains(&format!("{met}/{count}")), "{tile} vs {api}");
    let resolution = text_of(&browser, "#kpi-resolution");
    assert!(resolution.contains("KPI-RESOLUTION-85"), "{resolution}");
    assert!(
        resolution.contains(&format!("{}/{}", api["resolved"], api["needed_answer"])),
        "{resolution} vs {api}"
    );
    let rag = eval(
        &browser,
        "document.getElementById('kpi-resolution').className",
    );
    let expected = api["targets"]["resolution_rate"]["rag"].as_str().unwrap();
    assert!(
        rag.as_str().unwrap().contains(&format!("rag-{expected}")),
        "{rag}"
    );
    assert!(text_of(&browser, "#kpi-csat").contains("KPI-CSAT-4.5"));
    assert!(text_of(&browser, "#kpi-repeat").contains("KPI-REPEAT-5"));
    assert!(text_of(&browser, "#kpi-conversations").contains(&api["conversations"].to_string()));
    // The chart: a bar a day, the two rate lines and the target.
    assert_eq!(
        eval(
            &browser,
            "document.querySelectorAll('figure.chart rect.volume').length"
        ),
        7
    );
    assert_eq!(
        eval(
            &browser,
            "document.querySelectorAll('figure.chart polyline.rate').length"
        ),
        2
    );
    assert_eq!(
        eval(
            &browser,
            "document.querySelectorAll('figure.chart line.target').length"
        ),
        1
    );
    // Taobao's own scorecard: first replies within 5 minutes in its hours, rolling 30 days,
    // as the API gives it.
    let (status, cards) = server.call(
        "GET",
        &format!("/api/v1/reports/scorecards?shop_id={taobao}"),
        None,
    );
    assert_eq!(status, 200, "{cards}");
    let frt = &cards["scorecards"][0]["measures"][0];
    assert_eq!(frt["rule"], "TB-FRT-5M", "{cards}");
    let row = text_of(
        &browser,
        &format!("section.scorecard[data-shop='{taobao}'] tr[data-rule='TB-FRT-5M']"),
    );
    assert!(
        row.contains(&format!("{}{}", frt["count"], frt["met"])),
        "{row} vs {frt}"
    );
    picture(&browser, "reports.png");

    // The first-response figure leads to the conversations that missed their clock.
    let figure = browser.find("return document.querySelector('#kpi-first-response a.big');");
    browser.click(&figure);
    browser.wait_until(&loaded("/reports/conversations"), WAIT);
    let missed = (count - met) as usize;
    let rows = eval(
        &browser,
        "document.querySelectorAll('#drill tbody tr').length",
    );
    assert_eq!(
        rows.as_u64().unwrap() as usize,
        missed,
        "{}",
        browser.dump()
    );
    let (status, drill) = server.call(
        "GET",
        &format!(
            "/api/v1/reports/conversations?shop_id={taobao}&from={}&to={}&figure=first_response_missed",
            urlencode(from),
            urlencode(to)
        ),
        None,
    );
    assert_eq!(status, 200, "{drill}");
    let api_ids: Vec<i64> = drill["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let page_ids: Vec<i64> = eval(
        &browser,
        "Array.prototype.map.call(document.querySelectorAll('#drill tbody tr'), function (r) { return +r.dataset.conversation; })",
    )
    .as_array()
    .unwrap()
    .iter()
    .map(|v| v.as_i64().unwrap())
    .collect();
    assert_eq!(page_ids, api_ids);
    // Every one of them did miss: its first-response clock breached, or was met after its due.
    for id in api_ids.iter().take(5) {
        let (_, c) = server.call("GET", &format!("/api/v1/conversations/{id}"), None);
        let clocks = c["obligations"].as_array().cloned().unwrap_or_default();
        let time = |v: &Value| {
            v.as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        };
        assert!(
            clocks.iter().any(|o| o["clock"] == "first_response"
                && (o["state"] != "met" || time(&o["closed_at"]) > time(&o["due"]))),
            "conversation {id} met its first response in time: {c}"
        );
    }
    picture(&browser, "reports-drill.png");

    // The CSV, fetched as the browser downloads it: a header and one line per conversation.
    let csv = browser.execute_async(
        "var done = arguments[arguments.length - 1];
         fetch(document.getElementById('drill-csv').href, {credentials: 'same-origin'})
           .then(function (r) { return r.text().then(function (t) { done([r.status, r.headers.get('content-type'), t]); }); })
           .catch(function (e) { done([0, '', String(e)]); });",
        vec![],
    );
    assert_eq!(csv[0], 200, "{csv}");
    assert!(csv[1].as_str().unwrap().starts_with("text/csv"), "{csv}");
    let text = csv[2].as_str().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("conversation_id,shop_id,first_inbound"),
        "{text}"
    );
    assert_eq!(lines.len(), missed + 1, "{text}");
    let csv_ids: Vec<i64> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let mut sorted_api = api_ids.clone();
    sorted_api.sort_unstable();
    let mut sorted_csv = csv_ids;
    sorted_csv.sort_unstable();
    assert_eq!(sorted_csv, sorted_api);

    // The supervisor opens one of them and marks it a complaint from the side panel.
    let first = api_ids[0];
    browser.goto(&format!("{base}/conversations/{first}"));
    browser.wait_until(&loaded(&format!("/conversations/{first}")), WAIT);
    let was = text_of(&browser, "#complaint-mark");
    let button = browser.find("return document.querySelector('#complaint-mark button');");
    browser.click(&button);
    browser.wait_until(
        &format!(
            "{} && document.querySelector('#complaint-mark') && document.querySelector('#complaint-mark').textContent !== {}",
            loaded(&format!("/conversations/{first}")),
            js(&was)
        ),
        WAIT,
    );
    let (_, c) = server.call("GET", &format!("/api/v1/conversations/{first}"), None);
    assert_eq!(
        c["complaint"],
        !was.contains("This is a complaint"),
        "{was}"
    );
    assert!(
        c["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "complaint_marked"),
        "{c}"
    );

    // The roster's coverage for the coming week, from the menu: a row a day, 24 hours each
    // (the demo's agents have no shifts, so every hour is a gap).
    let link = browser
        .find("return document.querySelector('header.top nav a[href=\"/admin/coverage\"]');");
    browser.click(&link);
    browser.wait_until(&loaded("/admin/coverage"), WAIT);
    assert_eq!(
        eval(
            &browser,
            "document.querySelectorAll('#coverage-grid tbody tr').length"
        ),
        7
    );
    assert_eq!(
        eval(
            &browser,
            "document.querySelectorAll('#coverage-grid tbody tr:first-child td.gap').length"
        ),
        24
    );
    // The AliExpress shop's buyers write German and Spanish: run from China, it serves Europe
    // (STAFF-16H), and each language is checked by the agents who speak it.
    let aliexpress = shops["shops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["platform"] == "aliexpress")
        .expect("the demo's AliExpress shop")["id"]
        .as_i64()
        .unwrap();
    browser.goto(&format!("{base}/admin/coverage?shop={aliexpress}"));
    browser.wait_until(&loaded("/admin/coverage"), WAIT);
    for language in ["de", "es"] {
        assert_eq!(
            eval(
                &browser,
                &format!(
                    "document.querySelectorAll('#coverage-grid tbody tr:first-child .lang-cover[data-language={language}].rag-red').length"
                )
            ),
            1,
            "{language}"
        );
    }
    assert!(text_of(&browser, "p.hint").contains("STAFF-16H"));
    picture(&browser, "coverage.png");

    // The same page in Chinese.
    browser.goto(&format!("{base}/lang?to=zh"));
    browser.goto(&format!("{base}/reports?shop={taobao}&period=last_week"));
    browser.wait_until(&loaded("/reports"), WAIT);
    assert_eq!(text_of(&browser, "h1"), "报表");
    assert!(text_of(&browser, "#kpi-resolution").contains("解决率"));
    assert!(text_of(&browser, "section.scorecard h2").contains("平台考核"));
    picture(&browser, "reports-zh.png");

    // An agent may not read reports.
    let (status, _) = server.raw(
        "GET",
        &format!(
            "/api/v1/reports/kpis?from={}&to={}",
            urlencode(from),
            urlencode(to)
        ),
        Some("not-a-token"),
        None,
    );
    assert_eq!(status, 401);
    browser.quit();
}
