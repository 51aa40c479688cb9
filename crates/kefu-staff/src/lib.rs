//! Staffing as pure functions (issue 13): how many agents a desk needs, and what a day with a
//! given number of them looks like. No I/O and no clock: the caller gives the rates and the
//! seed, so every answer can be checked.
//!
//! - [`coverage`]: a day's live coverage from the agents' shifts (STAFF-16H, STAFF-24H,
//!   STAFF-SHIFTS-OVERLAP-2H).
//! - [`erlang`]: Erlang C for an M/M/c queue — the chance a buyer waits, the service level
//!   within a target time, and the fewest agents that reach a service level.
//! - [`sim`]: a discrete-event simulation of the same queue (Poisson arrivals, exponential
//!   handling, first come first served), hour by hour, which agrees with Erlang C over long
//!   runs and goes where the closed form cannot (arrivals that change by the hour).
//! - [`history`]: how long an answer takes, measured from the agents' replies.
//! - [`replay`]: a day of real arrivals (with the clocks they started) against a roster whose
//!   agents come and go by the slot, per hour and per rule.

pub mod coverage;
pub mod erlang;
pub mod history;
pub mod replay;
pub mod sim;

pub use coverage::{CoverageRules, DayCoverage, SLOTS, day_coverage};
pub use erlang::{agents_needed, erlang_c, service_level};
pub use replay::{Arrival, Day, Handling, Replay, Roster, replay};
pub use sim::{Hour, Outcome, Scenario, simulate};
