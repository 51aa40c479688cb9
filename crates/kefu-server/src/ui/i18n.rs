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
    #[allow(clippy::too_many_lines)] // TODO(issue 11): split
    pub fn t(self, key: &'static str) -> &'static str {
        let (zh, en) = match key {
            "app" => ("客服工作台", "kefu desk"),
            "sign_in" => ("登录", "Sign in"),
            "sign_out" => ("退出", "Sign out"),
            "email" => ("邮箱", "Email"),
            "password" => ("密码", "Password"),
            "wrong_login" => ("邮箱或密码不正确。", "The email or password is wrong."),
            "locked" => (
                "登录失败次数过多，账户已暂时锁定，请稍后再试。",
                "Too many failed attempts: this account is locked for a while. Try again later.",
            ),
            "expired_form" => (
                "页面已过期，请重新提交。",
                "This form expired; please send it again.",
            ),
            "shops" => ("店铺", "Shops"),
            "platform" => ("平台", "Platform"),
            "timezone" => ("时区", "Time zone"),
            "faq" => ("常见问题", "FAQ"),
            "connectors" => ("平台连接", "Connectors"),
            "home" => ("首页", "Home"),
            "language" => ("语言", "Language"),
            "key" => ("编号", "Key"),
            "questions" => ("买家的问法（每行一个）", "How buyers ask it (one per line)"),
            "answer" => ("回答", "Answer"),
            "save" => ("保存", "Save"),
            "delete" => ("删除", "Delete"),
            "saved" => ("已保存。", "Saved."),
            "deleted" => ("已删除。", "Deleted."),
            "presets" => (
                "载入大促常见问题 20 条（PEAK-PREP）",
                "Load the season's 20 most-asked questions (PEAK-PREP)",
            ),
            "presets_done" => (
                "已载入预设问题；店铺自己写的回答保持不变。",
                "Presets loaded; the shop's own answers were kept.",
            ),
            "new_faq" => ("新增或修改回答", "Add or change an answer"),
            "no_faq" => ("这个店铺还没有常见问题。", "This shop has no FAQ yet."),
            "guard_blocked" => (
                "回复检查拦截了这条回答，机器人永远不能发送它：",
                "The reply guard blocks this answer, so the bot could never send it:",
            ),
            "state" => ("状态", "State"),
            "last_error" => ("最近的错误", "Last error"),
            "last_success" => ("最近成功", "Last success"),
            "next_attempt" => ("下次尝试", "Next attempt"),
            "no_connectors" => (
                "还没有平台连接。管理员可以通过 API 添加：",
                "No connectors yet. Admins add them through the API:",
            ),
            "kind" => ("类型", "Kind"),
            "shop" => ("店铺", "Shop"),
            "forbidden" => ("您的角色不能进行此操作。", "Your role does not allow this."),
            "field_required" => ("此项必填。", "This field is required."),
            "bad_key" => (
                "只能使用字母、数字、- 和 _（最多 64 个）。",
                "Use letters, digits, - and _ only (at most 64).",
            ),
            "signed_in_as" => ("当前用户", "Signed in as"),
            "inbox" => ("收件箱", "Inbox"),
            "filters" => ("筛选", "Filters"),
            "filter" => ("筛选", "Filter"),
            "all" => ("全部", "All"),
            "status" => ("状态", "Status"),
            "assignee" => ("负责人", "Assignee"),
            "me" => ("我", "Me"),
            "unassigned" => ("未分配", "Unassigned"),
            "breaching_soon" => ("一小时内到期", "Due within the hour"),
            "keys_inbox" => (
                "快捷键：j/k 上下移动，Enter 打开；会话页 r 回复，e 标记解决。",
                "Keys: j/k move, Enter opens; in a conversation r replies, e resolves.",
            ),
            "inbox_empty" => ("这里没有待处理的会话。", "No conversations need work here."),
            "clock" => ("时限", "Clock"),
            "overdue" => ("已超时", "Overdue"),
            "clock_running" => ("计时中", "Clock running"),
            "no_clock" => ("无时限", "No clock"),
            "waiting_since" => ("等待自", "waiting since"),
            "buyer" => ("买家", "Buyer"),
            "buyer_lc" => ("买家", "buyer"),
            "last_message" => ("最新消息", "Last message"),
            "due" => ("截止", "Due"),
            "next_page" => ("下一页", "Next page"),
            "shop_time" => ("店铺时间", "shop time"),
            "thread" => ("对话", "Thread"),
            "reply" => ("回复", "Reply"),
            "guard_says" => ("回复检查：", "The reply guard says:"),
            "confirm_warn" => (
                "我已阅读提示，仍然发送（会被记录）",
                "I have read the warnings; send anyway (recorded)",
            ),
            "send" => ("发送", "Send"),
            "note" => (
                "内部备注（不会发给买家）",
                "Internal note (never sent to the buyer)",
            ),
            "add_note" => ("添加备注", "Add note"),
            "clocks" => ("时限", "Clocks"),
            "order" => ("订单", "Order"),
            "entitlements" => ("售后权益", "Entitlements"),
            "conversation" => ("会话", "Conversation"),
            "overview" => ("总览", "Overview"),
            "breaches_today" => ("今日超时", "breaches today"),
            "due_next_hour" => ("一小时内到期", "due within the hour"),
            "escalations" => ("升级中", "escalated"),
            "open_by_shop" => ("各店铺待处理会话", "Open conversations by shop"),
            "open_by_platform" => ("各平台", "By platform"),
            "agent_load" => ("客服负载", "Load per agent"),
            "replies_today" => ("今日首次响应", "First responses today"),
            "met" => ("按时", "met"),
            "breached" => ("超时", "breached"),
            "mean" => ("平均", "mean"),
            "resolution_rate" => (
                "今日新会话解决率",
                "Resolution rate of today's conversations",
            ),
            "targets" => ("首次响应时限（规则包）", "First-response limits (packs)"),
            "offer" => ("提供", "Offer"),
            "cases" => ("售后单", "After-sales cases"),
            "agents" => ("客服", "Agents"),
            "admin_shops" => ("店铺管理", "Manage shops"),
            "new_shop" => ("新建店铺", "New shop"),
            "settings" => ("规则覆盖（JSON）", "Overrides (JSON)"),
            "new_agent" => ("新建客服", "New agent"),
            "name" => ("姓名", "Name"),
            "role" => ("角色", "Role"),
            "new_token" => ("新 API 令牌", "New API token"),
            "unlock_sign_in" => ("解除登录锁定", "Unlock sign-in"),
            "order_unverified" => (
                "未验证（买家自称的订单号）",
                "unverified (the buyer's claim)",
            ),
            "token_once" => ("新令牌（只显示这一次）：", "New token (shown this once):"),
            "files" => ("买家发送的文件", "Files from the buyer"),
            "attach" => ("发送图片", "Send a photo"),
            "reassign" => ("转给", "Reassign"),
            "teams" => ("团队", "Teams"),
            "new_team" => ("新建团队", "New team"),
            "routing" => ("分配方式", "Routing"),
            "least_load" => ("负载最少优先", "Least load"),
            "round_robin" => ("轮流分配", "Round robin"),
            "high_value_team" => (
                "接待高价值订单（HIGHVALUE-CHANNEL）",
                "Takes high-value orders (HIGHVALUE-CHANNEL)",
            ),
            "shifts" => ("班次", "Shifts"),
            "edit" => ("修改", "Edit"),
            "shipped" => ("发货时间", "Shipped"),
            "promises" => ("服务承诺", "Promises"),
            "available" => ("在线", "Available"),
            "away" => ("离开", "Away"),
            "template" => ("模板（按买家语言）", "Template (in the buyer's language)"),
            "closed_clock" => ("已取消", "cancelled"),
            "shop_time_short" => ("店铺时间", "shop time"),
            "take" => ("接手", "Take"),
            "taken_by_you" => ("由您负责", "Yours"),
            "pack" => ("规则包", "Pack"),
            "from" => ("开始", "from"),
            "to" => ("结束", "to"),
            "db_unavailable" => (
                "数据库暂时不可用，请稍后再试。",
                "The database is unavailable; try again.",
            ),
            "not_found" => ("找不到这个页面（404）。", "Not found (404)."),
            "reply_blocked_notice" => (
                "回复检查拦截了这条回复：没有发送任何内容，草稿已保留。",
                "The reply guard blocked this reply: nothing was sent and the draft is kept.",
            ),
            "reply_held_notice" => (
                "回复检查有提示：确认后才会发送。",
                "The reply guard has warnings: confirm to send it anyway.",
            ),
            "action_failed" => ("操作没有完成：", "That did not work:"),
            "verdict_block" => ("拦截", "block"),
            "verdict_warn" => ("提示", "warn"),
            "verdict_ok" => ("通过", "ok"),
            "confirm_resolve_q" => (
                "这位买家还没有收到客服的回复。确定要标记为已解决吗？",
                "No agent has answered this buyer yet. Resolve it anyway?",
            ),
            "confirm_resolve" => ("确认解决", "Resolve anyway"),
            "cancel" => ("取消", "Cancel"),
            "confirm_case_q" => ("确认向买家提供：", "Offer this to the buyer?"),
            "confirm_case" => ("确认提供", "Confirm the offer"),
            "amount" => ("金额", "Amount"),
            "rule" => ("规则", "Rule"),
            "no_amount" => ("不涉及退款金额", "no money is paid out"),
            "delivery_queued" => ("排队待发送", "queued"),
            "delivery_sent" => ("已发送", "sent"),
            "delivery_delivered" => ("已送达", "delivered"),
            "delivery_failed" => ("发送失败", "failed"),
            "delivery_retry" => ("将于此时重试", "retrying at"),
            "delivery" => ("送达状态", "Delivery"),
            "bot" => ("机器人", "Bot"),
            "system" => ("系统", "System"),
            "visitor" => ("访客", "Visitor"),
            "you" => ("我", "me"),
            "late" => ("已超时", "late"),
            "minutes" => ("分钟", "min"),
            "edit_shop" => ("修改店铺", "Edit shop"),
            "score" => ("评分", "score"),
            "items" => ("商品", "Items"),
            "total" => ("合计", "Total"),
            "tracking" => ("物流", "Tracking"),
            "unverified_order" => ("订单未核实", "order not verified"),
            _ => (key, key),
        };
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
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
