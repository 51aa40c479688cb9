//! The rule catalogue of `RULES.md`, as data: every rule ID with its kind and source seeds.
//!
//! Packs are validated against this list so that a typo in a rule ID is caught when the pack
//! is loaded, not when a deadline silently fails to appear. This module does NOT say what a
//! rule means or enforce anything: that lives in the packs and in the calculators.
//! `crate::coverage::rule_list` says, for each rule, what enforces it.
//! Keep it in step with `RULES.md` (same IDs, same order).

/// One catalogue entry: `(id, kind, sources)`.
pub type CatalogEntry = (&'static str, &'static str, &'static str);

/// The catalogue, written once: each line gives a rule's constant, ID, kind and sources, and
/// the macro makes of it both [`RULES`] (the table, in RULES.md order) and the constant
/// [`ids`]`::NAME` (the ID with `-` and `.` as `_`). Code names a rule by its constant, so a
/// misspelt rule is a compile error rather than a rule that silently never matches.
macro_rules! catalogue {
    ($($name:ident = $id:literal, $kind:literal, $source:literal;)*) => {
        /// Every rule ID of `RULES.md` as a constant: `ids::HIGHVALUE_CHANNEL` is
        /// `"HIGHVALUE-CHANNEL"`.
        pub mod ids {
            $(
                #[doc = concat!("`", $id, "` (", $kind, "; source ", $source, ").")]
                pub const $name: &str = $id;
            )*
        }

        /// Every rule ID in `RULES.md`, in the order of that file.
        pub const RULES: &[CatalogEntry] = &[$((ids::$name, $kind, $source),)*];

        /// The constants' names with their IDs, to test that each name spells its ID.
        #[cfg(test)]
        const NAMES: &[(&str, &str)] = &[$((stringify!($name), $id),)*];
    };
}

catalogue! {
    // Response-time clocks
    EBAY_FRT_24H = "EBAY-FRT-24H", "sla", "000";
    EBAY_SUBSTANTIVE = "EBAY-SUBSTANTIVE", "guard", "000";
    EBAY_HIGHVALUE_12H = "EBAY-HIGHVALUE-12H", "sla", "000";
    EBAY_ESCALATE_2H = "EBAY-ESCALATE-2H", "sla", "000";
    EBAY_FOLLOWUP_48H = "EBAY-FOLLOWUP-48H", "sla", "000";
    KPI_FRT_3H = "KPI-FRT-3H", "kpi/sla target", "000";
    TB_FRT_5M = "TB-FRT-5M", "sla", "001";
    TB_OFFHOURS_BOT = "TB-OFFHOURS-BOT", "process", "001";
    TB_AFTERSALES_24_48H = "TB-AFTERSALES-24-48H", "sla", "001";
    AE_FRT_24H = "AE-FRT-24H", "sla", "004";
    AE_PEAK_1H = "AE-PEAK-1H", "sla", "004";
    GEN_FIRST_30S = "GEN-FIRST-30S", "sla target", "003";
    GEN_SIMPLE_5M = "GEN-SIMPLE-5M", "sla target", "003";
    GEN_COMPLEX_24H = "GEN-COMPLEX-24H", "sla target", "003";
    GEN_PHONE_3RINGS = "GEN-PHONE-3RINGS", "process", "003";
    // Reply guards
    PRIV_NO_SECRETS = "PRIV-NO-SECRETS", "guard", "000";
    PRIV_NO_ID_PHOTO = "PRIV-NO-ID-PHOTO", "guard", "000";
    PRIV_PURPOSE = "PRIV-PURPOSE", "guard", "001,003";
    LOST_NO_STALL = "LOST-NO-STALL", "guard", "000";
    SCRIPT_EMPATHY = "SCRIPT-EMPATHY", "guard", "000";
    SCRIPT_NO_EMOTION = "SCRIPT-NO-EMOTION", "guard", "000,003";
    SCRIPT_NO_ARGUE = "SCRIPT-NO-ARGUE", "guard", "003";
    SCRIPT_QING_NIN = "SCRIPT-QING-NIN", "guard", "003";
    SCRIPT_NO_BLAME = "SCRIPT-NO-BLAME", "guard", "003";
    AE_CLEAR = "AE-CLEAR", "guard", "004";
    DISCLOSE_FEES = "DISCLOSE-FEES", "guard/process", "000";
    OPTIONS_3 = "OPTIONS-3", "guard/process", "000";
    // After-sales entitlements and amounts
    LOST_RESHIP_OR_REFUND = "LOST-RESHIP-OR-REFUND", "after-sales", "000";
    EBAY_RETURN_14D = "EBAY-RETURN-14D", "after-sales", "000";
    TB_RETURN_7D = "TB-RETURN-7D", "after-sales", "001";
    TB_QUALITY_SHIPPING = "TB-QUALITY-SHIPPING", "after-sales", "001";
    TB_FAKE_3X = "TB-FAKE-3X", "after-sales", "002";
    TB_QUALITY_PROMISE = "TB-QUALITY-PROMISE", "after-sales", "002";
    TB_SHIP_PROMISE = "TB-SHIP-PROMISE", "after-sales", "002";
    TB_RETURN_PROMISE = "TB-RETURN-PROMISE", "after-sales", "002";
    TB_DAMAGE_RESHIP = "TB-DAMAGE-RESHIP", "after-sales", "002";
    TB_COURIER_PROMISE = "TB-COURIER-PROMISE", "after-sales", "002";
    TB_ARRIVAL_PROMISE = "TB-ARRIVAL-PROMISE", "after-sales", "002";
    TRANSIT_DAMAGE_COMP = "TRANSIT-DAMAGE-COMP", "after-sales", "002";
    WRONG_ITEM_PHOTOS = "WRONG-ITEM-PHOTOS", "process", "002";
    GEN_SANBAO = "GEN-SANBAO", "after-sales", "002";
    // Process rules
    REC_FULL_TRANSCRIPT = "REC-FULL-TRANSCRIPT", "process", "000,003";
    REC_CUSTOMER_INFO = "REC-CUSTOMER-INFO", "process", "003";
    COLLECTIVE_3LEVEL = "COLLECTIVE-3LEVEL", "process/sla", "000";
    LANG_LOCAL = "LANG-LOCAL", "process", "000";
    HIGHVALUE_CHANNEL = "HIGHVALUE-CHANNEL", "process", "000";
    REVIEW_REPLY = "REVIEW-REPLY", "process", "002";
    REVIEW_TEMPLATE_WEEKLY = "REVIEW-TEMPLATE-WEEKLY", "process", "002";
    TRACK_PROACTIVE = "TRACK-PROACTIVE", "process", "000,002";
    COMPLAINT_FLOW = "COMPLAINT-FLOW", "process", "003";
    FEEDBACK_RATING = "FEEDBACK-RATING", "process", "001";
    AE_PENALTY = "AE-PENALTY", "process", "004";
    MULTICHANNEL = "MULTICHANNEL", "process", "003,004";
    // Targets and staffing
    KPI_RESOLUTION_85 = "KPI-RESOLUTION-85", "kpi", "000";
    KPI_CSAT_4_5 = "KPI-CSAT-4.5", "kpi", "000";
    KPI_REPEAT_5 = "KPI-REPEAT-5", "kpi", "000";
    STAFF_16H = "STAFF-16H", "staffing", "000";
    STAFF_SHIFTS_OVERLAP_2H = "STAFF-SHIFTS-OVERLAP-2H", "staffing", "000";
    STAFF_24H = "STAFF-24H", "staffing", "000";
    PEAK_PREP = "PEAK-PREP", "staffing", "000";
    TB_HOURS = "TB-HOURS", "staffing", "001";
    // Platform policies beyond the seeds (source: the platform's own policy)
    PRIV_NO_CARD_NUMBER = "PRIV-NO-CARD-NUMBER", "guard", "platform";
    PLATFORM_NO_OFFSITE = "PLATFORM-NO-OFFSITE", "guard", "platform";
    REVIEW_NO_INCENTIVE = "REVIEW-NO-INCENTIVE", "guard", "platform";
    PDD_NO_ABUSE = "PDD-NO-ABUSE", "process", "003";
}

/// Whether `id` is a rule ID of the catalogue (exact, case-sensitive: IDs are identifiers).
pub fn is_known(id: &str) -> bool {
    RULES.iter().any(|(known, _, _)| *known == id)
}

/// The kind of a rule (`"sla"`, `"after-sales"`, …) as written in `RULES.md`.
pub fn kind_of(id: &str) -> Option<&'static str> {
    RULES
        .iter()
        .find(|(known, _, _)| *known == id)
        .map(|(_, kind, _)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique() {
        for (i, (a, _, _)) in RULES.iter().enumerate() {
            assert!(RULES[i + 1..].iter().all(|(b, _, _)| a != b), "{a} twice");
        }
    }

    #[test]
    fn each_constant_spells_its_id() {
        assert_eq!(NAMES.len(), RULES.len());
        for (name, id) in NAMES {
            assert_eq!(*name, id.replace(['-', '.'], "_"), "{id}");
        }
        assert_eq!(ids::HIGHVALUE_CHANNEL, "HIGHVALUE-CHANNEL");
        assert_eq!(ids::KPI_CSAT_4_5, "KPI-CSAT-4.5");
    }

    #[test]
    fn lookups() {
        assert!(is_known("TB-FRT-5M"));
        assert!(!is_known("tb-frt-5m"));
        assert_eq!(kind_of("TB-FAKE-3X"), Some("after-sales"));
    }
}
