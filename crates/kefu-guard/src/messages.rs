//! What each rule of the guard asks of a reply, said in a language other than the findings'
//! English (the desk shows a finding in the agent's language). One home beside the phrases
//! the rules match.

use kefu_rules::ids;

/// The rule's summary in `lang` (`zh`), or `None` when there is none (the finding's own
/// message stands).
pub fn rule_summary(rule: &str, lang: &str) -> Option<&'static str> {
    if lang != "zh" {
        return None;
    }
    Some(match rule {
        ids::PRIV_NO_SECRETS => "不能向买家索要银行卡密码、支付密码、验证码或社交账号登录信息。",
        ids::PRIV_NO_ID_PHOTO => "不能向买家索要身份证照片或身份证号码（有卖家因此被冻结三个月）。",
        ids::PRIV_NO_CARD_NUMBER => "不能索要完整卡号、有效期或安全码：付款只在平台内进行。",
        ids::PLATFORM_NO_OFFSITE => {
            "不能把买家引到平台之外交易或付款（微信、WhatsApp、电话、站外付款）。"
        }
        ids::REVIEW_NO_INCENTIVE => "不能用钱、退款或礼物换取好评或修改评价（好评返现）。",
        ids::EBAY_SUBSTANTIVE => "首次回复要给出实质的解决办法，只说“已收到”不算回复。",
        ids::LOST_NO_STALL => "包裹丢失或延误时，不要只说“我们会调查”：马上给出补发或退款的办法。",
        ids::SCRIPT_EMPATHY => "请说“我们理解您的不便”，避免生硬的“根据政策规定”。",
        ids::SCRIPT_NO_EMOTION => "不要带个人情绪，不能辱骂或攻击买家。",
        ids::SCRIPT_NO_ARGUE => "不要争辩、质问、命令、炫耀或直接指责买家。",
        ids::SCRIPT_QING_NIN => "以“请”开头，称呼买家为“您”。",
        ids::SCRIPT_NO_BLAME => "不要用刺耳的话，不要推卸责任，不要责怪买家。",
        ids::AE_CLEAR => "回复要准确清楚：不要含糊、回避或答非所问。",
        ids::OPTIONS_3 => "遇到问题时给买家三个或更多的解决办法。",
        ids::PRIV_PURPOSE => "买家的信息只能用于处理这笔交易和相关纠纷，不能透露、出售或挪作他用。",
        ids::DISCLOSE_FEES => "讲清楚物流信息和退货政策，可能产生的额外费用要提前告知。",
        "SHOP-FORBIDDEN" => "回复里有店铺禁止使用的说法。",
        "SHOP-REQUIRED" => "回复缺少店铺要求必须包含的说法。",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rule_of_the_guard_has_a_chinese_summary() {
        for rule in crate::RULES
            .iter()
            .chain(&["SHOP-FORBIDDEN", "SHOP-REQUIRED"])
        {
            let zh = super::rule_summary(rule, "zh").unwrap_or_else(|| panic!("{rule}"));
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{rule}"
            );
        }
        assert_eq!(super::rule_summary("PRIV-NO-SECRETS", "en"), None);
        assert_eq!(super::rule_summary("NOT-A-RULE", "zh"), None);
    }
}
