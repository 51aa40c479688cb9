//! The UI's two languages. A person's choice (the `kefu_lang` cookie, set from the page
//! header) wins; otherwise the browser's preferred language decides.

use axum::http::{HeaderMap, header};

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
                "还没有平台连接。管理员可以通过 API 添加（POST /api/v1/shops/{id}/connectors）。",
                "No connectors yet. Admins add them through the API (POST /api/v1/shops/{id}/connectors).",
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
            "inbox_empty" => ("没有待处理的时限。", "No open clocks here."),
            "buyer" => ("买家", "Buyer"),
            "last_message" => ("最新消息", "Last message"),
            "due" => ("截止", "Due"),
            "next_page" => ("下一页", "Next page"),
            "shop_time" => ("店铺当地时间", "shop's local time"),
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
            "first_response" => ("今日首次响应", "First responses today"),
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
            _ => (key, key),
        };
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}
