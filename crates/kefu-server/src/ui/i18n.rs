//! The UI's two languages. A person's choice (the `kefu_lang` cookie, set from the page
//! header) wins; otherwise the browser's preferred language decides.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use kefu_core::{ConversationStatus, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn pick(headers: &HeaderMap, _agent_languages: &[String]) -> Lang {
        if let Some(choice) = super::auth::cookie(headers, "kefu_lang") {
            return if choice == "zh" { Lang::Zh } else { Lang::En };
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // The first language the browser lists decides.
        if accept.trim_start().to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The text of `key` in this language; the key itself when there is none (a missing
    /// translation shows, it does not break the page).
    pub fn t(self, key: &'static str) -> &'static str {
        static BY_KEY: std::sync::OnceLock<
            std::collections::HashMap<&'static str, (&'static str, &'static str)>,
        > = std::sync::OnceLock::new();
        let table = BY_KEY.get_or_init(|| {
            super::texts::TEXTS
                .iter()
                .map(|&(k, zh, en)| (k, (zh, en)))
                .collect()
        });
        let (zh, en) = table.get(key).copied().unwrap_or((key, key));
        self.pick_of(zh, en)
    }

    fn pick_of(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// A conversation status as people say it (`pending_customer` is no word).
    pub fn status(self, s: ConversationStatus) -> &'static str {
        match s {
            ConversationStatus::New => self.pick_of("新会话", "new"),
            ConversationStatus::Open => self.pick_of("处理中", "open"),
            ConversationStatus::PendingCustomer => {
                self.pick_of("等待买家", "waiting for the buyer")
            }
            ConversationStatus::Escalated => self.pick_of("已升级", "escalated"),
            ConversationStatus::Resolved => self.pick_of("已解决", "resolved"),
            ConversationStatus::Closed => self.pick_of("已关闭", "closed"),
        }
    }

    /// The button that moves a conversation to `s`.
    pub fn status_action(self, s: ConversationStatus) -> &'static str {
        match s {
            ConversationStatus::Resolved => self.pick_of("标记为已解决", "Resolve"),
            ConversationStatus::Escalated => self.pick_of("升级处理", "Escalate"),
            ConversationStatus::Closed => self.pick_of("关闭会话", "Close"),
            other => self.status(other),
        }
    }

    /// A marketplace's name (proper names stay; Chinese platforms by their Chinese names).
    pub fn platform(self, p: &str) -> &'static str {
        match p {
            "taobao" => self.pick_of("淘宝", "Taobao"),
            "tmall" => self.pick_of("天猫", "Tmall"),
            "ebay" => "eBay",
            "aliexpress" => self.pick_of("速卖通", "AliExpress"),
            "pinduoduo" => self.pick_of("拼多多", "Pinduoduo"),
            "own" => self.pick_of("自营网店", "Own shop"),
            _ => self.pick_of("其他平台", "other platform"),
        }
    }

    /// A language's name from its code (`de` → 德语 / German).
    pub fn language_name(self, code: &str) -> &'static str {
        match code {
            "zh" => self.pick_of("中文", "Chinese"),
            "en" => self.pick_of("英语", "English"),
            "de" => self.pick_of("德语", "German"),
            "es" => self.pick_of("西班牙语", "Spanish"),
            "fr" => self.pick_of("法语", "French"),
            "ja" => self.pick_of("日语", "Japanese"),
            "ko" => self.pick_of("韩语", "Korean"),
            "" => "—",
            _ => self.pick_of("其他语言", "another language"),
        }
    }

    pub fn role(self, r: Role) -> &'static str {
        match r {
            Role::Agent => self.pick_of("客服", "agent"),
            Role::Supervisor => self.pick_of("主管", "supervisor"),
            Role::Admin => self.pick_of("管理员", "admin"),
        }
    }

    /// What an event of the thread's log was, for people (`reply_blocked` → 回复被拦截).
    pub fn event(self, kind: &str) -> &'static str {
        match kind {
            "obligation_breached" => self.pick_of("时限已超时", "Clock breached"),
            "obligation_met" => self.pick_of("时限已达成", "Clock met"),
            "status_changed" => self.pick_of("状态变更", "Status changed"),
            "reply_blocked" => self.pick_of("回复被拦截", "Reply blocked"),
            "reply_held" => self.pick_of("回复待确认", "Reply held for confirmation"),
            "bot_handover" => self.pick_of("机器人转人工", "Bot handed over"),
            "reply_delivered" => self.pick_of("回复已送达", "Reply delivered"),
            "reply_delivery_failed" => self.pick_of("回复发送失败", "Reply delivery failed"),
            "csat_rated" => self.pick_of("买家评价", "Buyer rated"),
            "assigned" => self.pick_of("分配负责人", "Assigned"),
            "case_opened" => self.pick_of("售后单已创建", "After-sales case opened"),
            "case_updated" => self.pick_of("售后单更新", "After-sales case updated"),
            "clocks_started" => self.pick_of("时限开始", "Clocks started"),
            "flagged" => self.pick_of("已标记给主管", "Flagged for a supervisor"),
            "complaint_marked" => self.pick_of("投诉标记变更", "Complaint mark changed"),
            _ => self.pick_of("系统事件", "System event"),
        }
    }

    /// An after-sales action (`refund` → 退款).
    pub fn case_action(self, a: &str) -> &'static str {
        match a {
            "refund" => self.pick_of("退款", "refund"),
            "reship" => self.pick_of("补发", "reship"),
            "return" => self.pick_of("退货", "return"),
            "compensation" => self.pick_of("补偿", "compensation"),
            _ => self.pick_of("售后", "after-sales"),
        }
    }

    /// An after-sales case's state.
    pub fn case_state(self, s: &str) -> &'static str {
        match s {
            "offered" => self.pick_of("已提供", "offered"),
            "accepted" => self.pick_of("买家已接受", "accepted"),
            "done" => self.pick_of("已完成", "done"),
            "rejected" => self.pick_of("已拒绝", "rejected"),
            _ => self.pick_of("未知", "unknown"),
        }
    }

    /// The button that moves a case to `s`.
    pub fn case_move(self, s: &str) -> &'static str {
        match s {
            "accepted" => self.pick_of("买家接受", "Accepted"),
            "done" => self.pick_of("完成", "Done"),
            "rejected" => self.pick_of("拒绝", "Rejected"),
            _ => self.pick_of("更新", "Update"),
        }
    }

    /// The kind of an entitlement the rulebook grants (`late-shipment` → 延迟发货).
    pub fn entitlement_kind(self, kind: &str) -> &'static str {
        match kind {
            "late-shipment" => self.pick_of("延迟发货赔付", "late-shipment compensation"),
            "fake-goods" => self.pick_of("假一赔三", "fake goods"),
            "quality-promise" => self.pick_of("品质承诺", "quality promise"),
            "quality-return-shipping" => {
                self.pick_of("质量问题退货运费", "return shipping for quality")
            }
            "lost-reship-or-refund" => {
                self.pick_of("丢件补发或退款", "lost parcel: reship or refund")
            }
            "transit-damage" => self.pick_of("运输破损", "damaged in transit"),
            "return-7d" => self.pick_of("七天无理由退货", "7-day no-reason return"),
            "ebay-return-14d" => self.pick_of("14 天退货", "14-day return"),
            "return-promise" => self.pick_of("退货承诺", "return promise"),
            "damage-reship" => self.pick_of("破损补发", "damage reship"),
            "damage-refund" => self.pick_of("破损退款", "damage refund"),
            "courier-promise" => self.pick_of("指定快递承诺", "courier promise"),
            "arrival-promise" => self.pick_of("到货时间承诺", "arrival promise"),
            "warranty-sanbao" => self.pick_of("三包保修", "warranty (sanbao)"),
            _ => self.pick_of("售后权益", "entitlement"),
        }
    }

    /// Why the buyer is (not) entitled, in this language. English is the rulebook's own
    /// sentence; Chinese is said from the reason's code and values (`reason_code`,
    /// `reason_params`, listed in kefu-rules' README), with times as the desk writes them.
    pub fn entitlement_reason(
        self,
        e: &kefu_rules::Entitlement,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> String {
        if self == Lang::En {
            return e.reason.clone();
        }
        let value = |k: &str| e.reason_params.get(k).map(String::as_str).unwrap_or("");
        let time = |k: &str| {
            DateTime::parse_from_rfc3339(value(k))
                .map(|t| self.when(t.with_timezone(&Utc), zone, now))
                .unwrap_or_else(|_| value(k).to_string())
        };
        match e.reason_code.as_str() {
            "promise_not_offered_by_shop" => {
                format!("店铺没有提供「{}」承诺", promise_name(value("promise")))
            }
            "promise_not_offered_on_order" => {
                format!("这个订单没有「{}」承诺", promise_name(value("promise")))
            }
            "no_ship_by" => "订单没有约定发货时间".into(),
            "not_late_yet" => format!("还没有超过约定发货时间（{}）", time("ship_by")),
            "shipped_in_time" => "已按约定时间发货".into(),
            "shipped_late" => format!(
                "晚于约定时间发货（约定 {}，实际 {}）",
                time("ship_by"),
                time("shipped_at")
            ),
            "not_shipped_late" => format!("超过约定发货时间仍未发货（约定 {}）", time("ship_by")),
            "if_claim_upheld" => "买家的申请核实后可享有".into(),
            "not_signed_for" | "not_delivered" => "订单还没有签收".into(),
            "receipt_confirmed" => "买家已确认收货".into(),
            "if_quality_differs" | "if_quality_problem" => "商品确有质量问题时可享有".into(),
            "if_damaged_in_transit" => "商品确在运输途中破损时可享有".into(),
            "not_shipped" => "订单还没有发货".into(),
            "delivered" => "包裹已签收".into(),
            "parcel_not_late_yet" => format!("包裹还不算延误：{} 后才算", time("late_at")),
            "parcel_late" => "包裹已延误或丢失".into(),
            "window_open" => format!("可在 {} 前申请", time("until")),
            "window_passed" => "申请期限已过".into(),
            "window_not_started" => "申请期限还没有开始".into(),
            "open_until_order_closes" => "订单完结前都可以申请".into(),
            "promise_days_not_set" => "店铺没有设置承诺的天数".into(),
            "already_reshipped" => "已经补发过一次".into(),
            "if_reshipment_damaged" => "补发的商品再次破损时可享有".into(),
            _ if e.entitled => "符合条件".into(),
            _ => "目前不符合条件".into(),
        }
    }

    /// A promise the shop makes on an order (`ship-time`, …), by name.
    pub fn promise(self, key: &str) -> String {
        match (self, promise_name(key)) {
            (Lang::Zh, name) if !name.is_empty() => name.to_string(),
            _ => key.to_string(),
        }
    }

    /// A guard finding's message by its rule ID: the guard speaks English; the desk's
    /// translation table says the same in Chinese. An unknown rule keeps the guard's words.
    pub fn guard_message<'a>(self, rule: &str, message: &'a str) -> std::borrow::Cow<'a, str> {
        if self == Lang::En {
            return message.into();
        }
        match kefu_guard::rule_summary(rule, "zh") {
            Some(zh) => zh.into(),
            None => message.into(),
        }
    }

    /// The guard's verdict word.
    pub fn verdict(self, v: &str) -> &'static str {
        match v {
            "block" => self.t("verdict_block"),
            "warn" => self.t("verdict_warn"),
            _ => self.t("verdict_ok"),
        }
    }

    /// A connector's health state.
    pub fn connector_state(self, s: &str) -> &'static str {
        match s {
            "ok" => self.pick_of("正常", "ok"),
            "backing_off" => self.pick_of("稍后重试", "backing off"),
            "auth_failed" => self.pick_of("授权失败", "authorization failed"),
            _ => self.pick_of("未知", "unknown"),
        }
    }

    /// `1h 2m 3s` / `1小时2分3秒` left (or late) until `due`; the desk script writes the same.
    pub fn left(self, due: DateTime<Utc>, now: DateTime<Utc>) -> String {
        let secs = (due - now).num_seconds();
        let a = secs.unsigned_abs();
        let (h, m, s) = (a / 3600, (a % 3600) / 60, a % 60);
        let mut text = String::new();
        let (uh, um, us, sep) = match self {
            Lang::Zh => ("小时", "分", "秒", ""),
            Lang::En => ("h", "m", "s", " "),
        };
        if h > 0 {
            text.push_str(&format!("{h}{uh}{sep}"));
        }
        if h > 0 || m > 0 {
            text.push_str(&format!("{m}{um}{sep}"));
        }
        text.push_str(&format!("{s}{us}"));
        if secs < 0 {
            format!("{} {text}", self.t("late"))
        } else {
            text
        }
    }

    /// The one way the desk writes a moment: in the viewer's zone, `12月6日 21:40` /
    /// `6 Dec 21:40`, with the year when it is not this year. The desk script formats live
    /// messages the same way (`fmt` in desk.js).
    pub fn when(self, t: DateTime<Utc>, zone: Tz, now: DateTime<Utc>) -> String {
        let local = t.with_timezone(&zone);
        let this_year = now.with_timezone(&zone).year() == local.year();
        let hm = local.format("%H:%M");
        match (self, this_year) {
            (Lang::Zh, true) => format!("{}月{}日 {hm}", local.month(), local.day()),
            (Lang::Zh, false) => format!(
                "{}年{}月{}日 {hm}",
                local.year(),
                local.month(),
                local.day()
            ),
            (Lang::En, true) => format!("{} {} {hm}", local.day(), local.format("%b")),
            (Lang::En, false) => {
                format!(
                    "{} {} {} {hm}",
                    local.day(),
                    local.format("%b"),
                    local.year()
                )
            }
        }
    }

    /// The shop's local time beside a deadline, labelled: `店铺时间 09:03` (with the date when
    /// the shop's day is not the viewer's).
    pub fn shop_time(self, t: DateTime<Utc>, shop: Tz, viewer: Tz, now: DateTime<Utc>) -> String {
        let at_shop = t.with_timezone(&shop);
        let same_day = at_shop.date_naive() == t.with_timezone(&viewer).date_naive();
        let text = if same_day {
            at_shop.format("%H:%M").to_string()
        } else {
            self.when(t, shop, now)
        };
        format!("{} {text}", self.t("shop_time_short"))
    }
}

/// A shop promise's name (`ship-time` → 发货时间承诺).
fn promise_name(key: &str) -> &'static str {
    match key {
        "ship-time" => "发货时间",
        "quality" => "品质",
        "return" => "退货",
        "damage-reship" => "破损补发",
        "courier" => "指定快递",
        "arrival" => "到货时间",
        "fake-3x" => "假一赔三",
        _ => "",
    }
}

/// The viewer's own time zone: the desk script stores the browser's in the `kefu_tz` cookie;
/// UTC until it has.
#[derive(Debug, Clone, Copy)]
pub struct Zone(pub Tz);

impl<S: Send + Sync> FromRequestParts<S> for Zone {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Zone(zone_of(&parts.headers)))
    }
}

pub fn zone_of(headers: &HeaderMap) -> Tz {
    super::auth::cookie(headers, "kefu_tz")
        .map(|z| z.replace("%2F", "/").replace("%2f", "/"))
        .and_then(|z| z.parse::<Tz>().ok())
        .unwrap_or(chrono_tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_guard_rule_of_the_catalogue_has_a_chinese_message() {
        for (id, kind, _) in kefu_rules::catalog::RULES {
            if kind.starts_with("guard") {
                let zh = Lang::Zh.guard_message(id, "the guard's English");
                assert_ne!(zh, "the guard's English", "{id} has no Chinese message");
                assert!(
                    zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{id}: {zh}"
                );
            }
        }
        assert_eq!(Lang::En.guard_message("PRIV-NO-SECRETS", "as is"), "as is");
        assert_eq!(Lang::Zh.guard_message("NOT-A-RULE", "as is"), "as is");
    }

    #[test]
    fn one_format_for_a_moment_with_the_year_only_when_it_is_not_this_year() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 13, 40, 0).unwrap();
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        assert_eq!(Lang::Zh.when(now, shanghai, now), "12月6日 21:40");
        assert_eq!(Lang::En.when(now, shanghai, now), "6 Dec 21:40");
        let last_year = Utc.with_ymd_and_hms(2025, 3, 1, 1, 5, 0).unwrap();
        assert_eq!(
            Lang::Zh.when(last_year, shanghai, now),
            "2025年3月1日 09:05"
        );
        assert_eq!(
            Lang::En.when(last_year, chrono_tz::UTC, now),
            "1 Mar 2025 01:05"
        );
        // The shop's time, labelled; its date only when the shop's day is not the viewer's.
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(
            Lang::Zh.shop_time(now, shanghai, shanghai, now),
            "店铺时间 21:40"
        );
        assert_eq!(
            Lang::En.shop_time(now, berlin, shanghai, now),
            "shop time 14:40"
        );
        let late = Utc.with_ymd_and_hms(2026, 12, 6, 20, 0, 0).unwrap();
        assert_eq!(
            Lang::Zh.shop_time(late, shanghai, berlin, now),
            "店铺时间 12月7日 04:00"
        );
    }

    #[test]
    fn time_left_in_words_as_the_script_writes_it() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        let due = now + chrono::Duration::seconds(3723);
        assert_eq!(Lang::En.left(due, now), "1h 2m 3s");
        assert_eq!(Lang::Zh.left(due, now), "1小时2分3秒");
        assert_eq!(
            Lang::Zh.left(now - chrono::Duration::seconds(5), now),
            "已超时 5秒"
        );
    }

    #[test]
    fn entitlement_reasons_speak_chinese_from_their_codes() {
        let packs = kefu_rules::PackSet::embedded().unwrap();
        let paid_at = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc);
        let order =
            kefu_rules::OrderFacts::new(rust_decimal::Decimal::new(12900, 2), "CNY", paid_at);
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T10:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc);
        let found = kefu_rules::entitlements(packs.get("taobao").unwrap(), &order, now);
        let fake = found.iter().find(|e| e.rule == "TB-FAKE-3X").unwrap();
        assert_eq!(fake.reason_code, "promise_not_offered_on_order");
        assert_eq!(
            Lang::Zh.entitlement_reason(fake, chrono_tz::Asia::Shanghai, now),
            "这个订单没有「假一赔三」承诺"
        );
        assert_eq!(
            Lang::En.entitlement_reason(fake, chrono_tz::Asia::Shanghai, now),
            fake.reason
        );
        assert!(!fake.reason.contains('`'));
        assert_eq!(Lang::Zh.promise("ship-time"), "发货时间");
        assert_eq!(Lang::En.promise("ship-time"), "ship-time");
    }
}
