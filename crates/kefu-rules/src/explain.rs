//! Cheap explanation text for deadlines: local wall times and durations written straight
//! into one `String`, without `format!` temporaries or chrono's strftime machinery (which
//! parses its pattern on every call and dominated the cost of [`crate::deadlines`]).
//!
//! The text is the same as a `format!`-based version would write:
//! `received 2026-11-11 22:58 Asia/Shanghai; ran 2 min until closing at 23:00; resumed
//! 2026-11-12 09:00; due 2026-11-12 09:03`. This module does NOT decide what to explain.

use std::fmt::Write;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;

use crate::calendar::Segment;

/// Writes instants as local wall times of one shop, relative to the day of the event.
pub(crate) struct Stamper {
    pub tz: Tz,
    pub received: DateTime<Utc>,
    received_local: NaiveDateTime,
}

impl Stamper {
    pub fn new(tz: Tz, received: DateTime<Utc>) -> Self {
        Stamper {
            tz,
            received,
            received_local: received.with_timezone(&tz).naive_local(),
        }
    }

    /// The event as `YYYY-MM-DD HH:MM <zone>` (seconds when set).
    pub fn received(&self, buf: &mut String) {
        let local = self.received_local;
        push_date(buf, local.date());
        buf.push(' ');
        push_time(buf, local);
        buf.push(' ');
        buf.push_str(self.tz.name());
    }

    /// `HH:MM` on the day of the event, else `YYYY-MM-DD HH:MM` (seconds when set).
    pub fn at(&self, buf: &mut String, t: DateTime<Utc>) {
        self.at_local(buf, t.with_timezone(&self.tz).naive_local());
    }

    pub fn at_local(&self, buf: &mut String, local: NaiveDateTime) {
        if local.date() != self.received_local.date() {
            push_date(buf, local.date());
            buf.push(' ');
        }
        push_time(buf, local);
    }

    /// "received …; outside working hours, clock starts at …; ran … until closing at …;
    /// resumed …; … N more working periods; due …" for a clock on a working calendar.
    pub fn narrate(
        &self,
        buf: &mut String,
        segments: &[Segment],
        segment_count: usize,
        due_local: NaiveDateTime,
        due: DateTime<Utc>,
    ) {
        buf.push_str("received ");
        self.received(buf);
        for (i, seg) in segments.iter().enumerate() {
            if i == 0 && seg.from > self.received {
                buf.push_str("; outside working hours, clock starts at ");
                self.at(buf, seg.from);
            } else if i > 0 {
                buf.push_str("; resumed ");
                self.at(buf, seg.from);
            }
            if seg.to != due {
                buf.push_str("; ran ");
                push_human(buf, seg.to - seg.from);
                buf.push_str(" until closing at ");
                self.at(buf, seg.to);
            }
        }
        let hidden = segment_count.saturating_sub(segments.len());
        if hidden > 0 {
            let _ = write!(buf, "; … {hidden} more working periods");
        }
        buf.push_str("; due ");
        self.at_local(buf, due_local);
    }
}

fn push2(buf: &mut String, n: u32) {
    buf.push(char::from(b'0' + (n / 10 % 10) as u8));
    buf.push(char::from(b'0' + (n % 10) as u8));
}

/// `YYYY-MM-DD` (years outside 0..=9999 as chrono would print them, with a sign).
pub(crate) fn push_date(buf: &mut String, d: NaiveDate) {
    let y = d.year();
    if (0..=9999).contains(&y) {
        push2(buf, (y / 100) as u32);
        push2(buf, (y % 100) as u32);
    } else {
        let _ = write!(buf, "{y:+05}");
    }
    buf.push('-');
    push2(buf, d.month());
    buf.push('-');
    push2(buf, d.day());
}

/// `HH:MM`, or `HH:MM:SS` when the seconds are not zero.
pub(crate) fn push_time(buf: &mut String, t: NaiveDateTime) {
    push2(buf, t.hour());
    buf.push(':');
    push2(buf, t.minute());
    if t.second() != 0 {
        buf.push(':');
        push2(buf, t.second());
    }
}

/// `5 min`, `24 h`, `2 h 30 min`, `30 s` (whole seconds).
pub(crate) fn push_human(buf: &mut String, d: Duration) {
    let secs = d.num_seconds();
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut sep = "";
    if h > 0 {
        let _ = write!(buf, "{h} h");
        sep = " ";
    }
    if m > 0 {
        let _ = write!(buf, "{sep}{m} min");
        sep = " ";
    }
    if s > 0 || sep.is_empty() {
        let _ = write!(buf, "{sep}{s} s");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_as_chrono_format() {
        let t = NaiveDate::from_ymd_opt(2026, 3, 8)
            .unwrap()
            .and_hms_opt(9, 5, 7)
            .unwrap();
        let mut buf = String::new();
        push_date(&mut buf, t.date());
        buf.push(' ');
        push_time(&mut buf, t);
        assert_eq!(buf, t.format("%Y-%m-%d %H:%M:%S").to_string());
        let mut buf = String::new();
        push_time(&mut buf, t.with_second(0).unwrap());
        assert_eq!(buf, "09:05");
    }

    #[test]
    fn human_durations() {
        for (secs, text) in [
            (300, "5 min"),
            (9000, "2 h 30 min"),
            (30, "30 s"),
            (0, "0 s"),
            (3661, "1 h 1 min 1 s"),
            (86_400, "24 h"),
        ] {
            let mut buf = String::new();
            push_human(&mut buf, Duration::seconds(secs));
            assert_eq!(buf, text);
        }
    }
}
