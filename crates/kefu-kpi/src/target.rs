//! A figure against its target: green when it meets the target, amber when it misses by no
//! more than the target's margin, red beyond.

use serde::Serialize;

/// Whether a figure should be at least or at most its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    AtLeast,
    AtMost,
}

/// A KPI's target: the rule that sets it, the value, which way is better, and how far off
/// is still amber.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub rule: String,
    pub value: f64,
    pub direction: Direction,
    pub amber_margin: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rag {
    Green,
    Amber,
    Red,
}

/// Where `value` stands against `target`.
pub fn rag(value: f64, target: &Target) -> Rag {
    let miss = match target.direction {
        Direction::AtLeast => target.value - value,
        Direction::AtMost => value - target.value,
    };
    if miss <= 0.0 {
        Rag::Green
    } else if miss <= target.amber_margin {
        Rag::Amber
    } else {
        Rag::Red
    }
}

/// The targets a report holds its figures to (a pack's, or the catalogue's by default).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Targets {
    pub resolution_rate: Target,
    pub csat: Target,
    pub repeat_complaint_rate: Target,
}

impl Default for Targets {
    fn default() -> Targets {
        Targets {
            resolution_rate: Target::resolution(),
            csat: Target::csat(),
            repeat_complaint_rate: Target::repeat_complaints(),
        }
    }
}

impl Target {
    /// KPI-RESOLUTION-85: at least 85 % of conversations resolved for good.
    pub fn resolution() -> Target {
        Target {
            rule: "KPI-RESOLUTION-85".into(),
            value: 0.85,
            direction: Direction::AtLeast,
            amber_margin: 0.05,
        }
    }

    /// KPI-CSAT-4.5: ratings average at least 4.5 of 5.
    pub fn csat() -> Target {
        Target {
            rule: "KPI-CSAT-4.5".into(),
            value: 4.5,
            direction: Direction::AtLeast,
            amber_margin: 0.3,
        }
    }

    /// KPI-REPEAT-5: at most 5 % of complaints are repeats.
    pub fn repeat_complaints() -> Target {
        Target {
            rule: "KPI-REPEAT-5".into(),
            value: 0.05,
            direction: Direction::AtMost,
            amber_margin: 0.02,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn green_amber_red_both_ways() {
        let r = Target::resolution();
        assert_eq!(rag(0.90, &r), Rag::Green);
        assert_eq!(rag(0.85, &r), Rag::Green);
        assert_eq!(rag(0.81, &r), Rag::Amber);
        assert_eq!(rag(0.70, &r), Rag::Red);
        let rep = Target::repeat_complaints();
        assert_eq!(rag(0.03, &rep), Rag::Green);
        assert_eq!(rag(0.06, &rep), Rag::Amber);
        assert_eq!(rag(0.10, &rep), Rag::Red);
        assert_eq!(rag(4.3, &Target::csat()), Rag::Amber);
    }
}
