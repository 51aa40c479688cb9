//! Who gets a conversation: the routing choice, once for both backends. Each backend reads
//! the facts (the conversation's language and high-value flag, the shop's and the high-value
//! team's routing mode, and the agents who may work on the shop) with its own SQL, and
//! records the choice in its own transaction; the choice itself is made here, in plain code.
//!
//! The order: an agent with room (fewer open conversations than their `max_open`) always
//! beats one without; a high-value conversation (HIGHVALUE-CHANNEL: the rulebook flagged it)
//! goes to the tenant's high-value team when one of its members has room, else to anyone;
//! among those, one who speaks the conversation's language first; then, by the routing mode,
//! least load (fewest open conversations, then longest since their last assignment) or round
//! robin (longest since their last assignment); the lowest agent id breaks the last tie.

use std::cmp::Reverse;

/// How a shop or team spreads conversations over its agents (the `routing` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Fewest open conversations first (the default).
    #[default]
    LeastLoad,
    /// Longest since the last assignment first, whatever the load.
    RoundRobin,
}

impl Mode {
    /// The mode a stored `routing` setting names; anything but `round_robin` (or nothing)
    /// is least load.
    pub fn from_setting(setting: Option<&str>) -> Mode {
        match setting {
            Some("round_robin") => Mode::RoundRobin,
            _ => Mode::LeastLoad,
        }
    }
}

/// An agent who may work on the conversation's shop (of its tenant, available, an agent or
/// supervisor, and either not limited to some shops or limited to ones that include this one),
/// as the backend read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub agent_id: i64,
    pub languages: Vec<String>,
    /// Open conversations assigned to them now.
    pub open_load: i64,
    pub max_open: i64,
    /// A member of the tenant's high-value team.
    pub in_team: bool,
    /// When they were last given a conversation, in microseconds since the epoch; `None`
    /// (never) comes first.
    pub last_assigned: Option<i64>,
}

/// What the conversation asks of routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need<'a> {
    pub language: Option<&'a str>,
    /// The rulebook marked the conversation high value.
    pub high_value: bool,
    /// The routing mode of the tenant's high-value team, when the tenant has one.
    pub team_mode: Option<Mode>,
    /// The shop's own routing mode, for conversations no team takes.
    pub shop_mode: Mode,
}

/// The agent to give the conversation to, or `None` when nobody has room.
pub fn choose(need: &Need<'_>, candidates: &[Candidate]) -> Option<i64> {
    let with_room = || candidates.iter().filter(|c| c.open_load < c.max_open);
    if need.high_value
        && let Some(mode) = need.team_mode
        && let Some(id) = best(need.language, mode, with_room().filter(|c| c.in_team))
    {
        return Some(id);
    }
    // Nobody of the team has room (or no team applies): anyone who can, rather than nobody.
    best(need.language, need.shop_mode, with_room())
}

/// The member of the team the candidates were read for (`in_team`) to give a conversation to,
/// or `None` when none of them has room: a complaint routed to the team for its cause
/// (COMPLAINT-FLOW) then stays with whoever has it rather than going to someone else.
pub fn choose_in_team(language: Option<&str>, mode: Mode, candidates: &[Candidate]) -> Option<i64> {
    best(
        language,
        mode,
        candidates
            .iter()
            .filter(|c| c.in_team && c.open_load < c.max_open),
    )
}

fn best<'c>(
    language: Option<&str>,
    mode: Mode,
    candidates: impl Iterator<Item = &'c Candidate>,
) -> Option<i64> {
    candidates
        .min_by_key(|c| {
            let speaks = language.is_some_and(|l| c.languages.iter().any(|s| s == l));
            let load = match mode {
                Mode::LeastLoad => c.open_load,
                Mode::RoundRobin => 0,
            };
            (Reverse(speaks), load, c.last_assigned, c.agent_id)
        })
        .map(|c| c.agent_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: i64, languages: &[&str], load: i64, last: Option<i64>) -> Candidate {
        Candidate {
            agent_id: id,
            languages: languages.iter().map(|l| (*l).to_string()).collect(),
            open_load: load,
            max_open: 5,
            in_team: false,
            last_assigned: last,
        }
    }

    fn need(language: Option<&str>, shop_mode: Mode) -> Need<'_> {
        Need {
            language,
            high_value: false,
            team_mode: None,
            shop_mode,
        }
    }

    #[test]
    fn the_language_comes_before_the_load() {
        let agents = [agent(1, &["en"], 3, None), agent(2, &["de", "en"], 4, None)];
        assert_eq!(choose(&need(Some("de"), Mode::LeastLoad), &agents), Some(2));
        assert_eq!(choose(&need(Some("en"), Mode::LeastLoad), &agents), Some(1));
        // Nobody speaks it: the load decides.
        assert_eq!(choose(&need(Some("fr"), Mode::LeastLoad), &agents), Some(1));
        assert_eq!(choose(&need(None, Mode::LeastLoad), &agents), Some(1));
    }

    #[test]
    fn least_load_then_longest_waiting_then_lowest_id() {
        let agents = [
            agent(1, &[], 2, Some(10)),
            agent(2, &[], 1, Some(30)),
            agent(3, &[], 1, Some(20)),
        ];
        assert_eq!(choose(&need(None, Mode::LeastLoad), &agents), Some(3));
        let never = [agent(4, &[], 1, Some(5)), agent(5, &[], 1, None)];
        assert_eq!(choose(&need(None, Mode::LeastLoad), &never), Some(5));
        let tied = [agent(7, &[], 0, None), agent(6, &[], 0, None)];
        assert_eq!(choose(&need(None, Mode::LeastLoad), &tied), Some(6));
    }

    #[test]
    fn round_robin_ignores_the_load() {
        let agents = [agent(1, &[], 0, Some(20)), agent(2, &[], 4, Some(10))];
        assert_eq!(choose(&need(None, Mode::RoundRobin), &agents), Some(2));
        assert_eq!(choose(&need(None, Mode::LeastLoad), &agents), Some(1));
    }

    #[test]
    fn nobody_without_room_is_chosen() {
        let mut full = agent(1, &["en"], 5, None);
        full.max_open = 5;
        assert_eq!(
            choose(&need(Some("en"), Mode::LeastLoad), &[full.clone()]),
            None
        );
        let free = agent(2, &[], 4, Some(99));
        assert_eq!(
            choose(&need(Some("en"), Mode::LeastLoad), &[full, free]),
            Some(2)
        );
        assert_eq!(choose(&need(None, Mode::LeastLoad), &[]), None);
    }

    #[test]
    fn high_value_goes_to_the_team_with_its_own_mode_else_to_anyone() {
        let mut member = agent(2, &[], 3, Some(10));
        member.in_team = true;
        let mut idle_member = agent(3, &[], 0, Some(50));
        idle_member.in_team = true;
        let outsider = agent(1, &[], 0, None);
        let agents = [outsider.clone(), member.clone(), idle_member];
        let hv = |team_mode| Need {
            language: None,
            high_value: true,
            team_mode,
            shop_mode: Mode::LeastLoad,
        };
        // The team's mode (round robin) applies inside the team: 2 waited longest.
        assert_eq!(choose(&hv(Some(Mode::RoundRobin)), &agents), Some(2));
        assert_eq!(choose(&hv(Some(Mode::LeastLoad)), &agents), Some(3));
        // No high-value team: the shop's routing over everyone.
        assert_eq!(choose(&hv(None), &agents), Some(1));
        // Not high value: the team does not matter.
        assert_eq!(choose(&need(None, Mode::LeastLoad), &agents), Some(1));
        // The team is full: anyone with room, by the shop's mode.
        let mut full = member;
        full.open_load = full.max_open;
        assert_eq!(
            choose(&hv(Some(Mode::RoundRobin)), &[outsider, full]),
            Some(1)
        );
    }

    #[test]
    fn the_setting_names_the_mode() {
        assert_eq!(Mode::from_setting(Some("round_robin")), Mode::RoundRobin);
        assert_eq!(Mode::from_setting(Some("least_load")), Mode::LeastLoad);
        assert_eq!(Mode::from_setting(None), Mode::LeastLoad);
    }
}
