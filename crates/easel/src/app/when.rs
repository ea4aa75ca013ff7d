//! Times as people read them, in this computer's time zone: "just now", "3 min ago",
//! "today 14:05", "yesterday 09:12", "12 Mar 14:05".

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// When `ms` (since the Unix epoch) was, seen from now, in the system's time zone.
pub fn when(ms: i64) -> String {
    when_at(ms, Timestamp::now(), &TimeZone::system())
}

/// When `ms` was, seen from `now` in `zone`.
pub fn when_at(ms: i64, now: Timestamp, zone: &TimeZone) -> String {
    let Ok(then) = Timestamp::from_millisecond(ms) else { return "some time ago".to_owned() };
    let ago = now.as_second() - then.as_second();
    if (0..60).contains(&ago) {
        return "just now".to_owned();
    }
    if (60..3600).contains(&ago) {
        return format!("{} min ago", ago / 60);
    }
    let (then, now) = (zone.to_datetime(then), zone.to_datetime(now));
    let clock = then.strftime("%H:%M").to_string();
    let days = now.date().since(then.date()).map_or(i32::MAX, |span| span.get_days());
    match days {
        0 => format!("today {clock}"),
        1 => format!("yesterday {clock}"),
        _ if then.year() == now.year() => format!("{} {clock}", then.strftime("%-d %b")),
        _ => format!("{} {clock}", then.strftime("%-d %b %Y")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_people_say_them() {
        let zone = TimeZone::fixed(jiff::tz::offset(1));
        let now: Timestamp = "2026-12-01T13:05:00Z".parse().unwrap();
        let ms = |text: &str| text.parse::<Timestamp>().unwrap().as_millisecond();
        assert_eq!(when_at(ms("2026-12-01T13:04:30Z"), now, &zone), "just now");
        assert_eq!(when_at(ms("2026-12-01T13:02:00Z"), now, &zone), "3 min ago");
        assert_eq!(when_at(ms("2026-12-01T08:00:00Z"), now, &zone), "today 09:00", "in the computer's time zone");
        assert_eq!(when_at(ms("2026-11-30T22:30:00Z"), now, &zone), "yesterday 23:30");
        assert_eq!(when_at(ms("2026-03-12T13:05:00Z"), now, &zone), "12 Mar 14:05");
        assert_eq!(when_at(ms("2025-03-12T13:05:00Z"), now, &zone), "12 Mar 2025 14:05");
    }
}
