//! Where the vault gets the time: collection dates, expiry checks and sweeps all read
//! one injected [`Clock`], so tests (and users) can reason about retention exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, TimeDelta, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;

    /// Now, in whole seconds since the Unix epoch. Sealing and opening ask for this;
    /// override it when it can be had more cheaply than through [`now`](Self::now).
    fn unix_seconds(&self) -> i64 {
        self.now().timestamp()
    }

    /// Now, in microseconds since the Unix epoch: the time of an audit event. Override
    /// it when it can be had more cheaply than through [`now`](Self::now).
    fn unix_micros(&self) -> i64 {
        self.now().timestamp_micros()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
    fn unix_seconds(&self) -> i64 {
        (**self).unix_seconds()
    }
    fn unix_micros(&self) -> i64 {
        (**self).unix_micros()
    }
}

/// The system's wall clock: the default.
///
/// [`unix_seconds`](Clock::unix_seconds) sits on every seal and open, where reading the
/// wall clock costs ~40 ns on the reference machine. So it adds the coarse monotonic
/// clock (a few ns) to an offset that is re-read from the wall clock at most once a
/// second: a change of the system time shows within a second.
#[derive(Debug, Default)]
pub struct SystemClock {
    /// Wall-clock milliseconds minus monotonic milliseconds at the last re-read.
    offset_ms: AtomicI64,
    /// Monotonic milliseconds after which to re-read (0: never read).
    resync_at_ms: AtomicU64,
}

impl SystemClock {
    /// The system clock.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The wall clock in `unit`s per second (1,000 or 1,000,000) since the Unix epoch.
fn wall(unit: u32) -> i64 {
    let (sign, d) = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (1, d),
        Err(before) => (-1, before.duration()),
    };
    let units = d.as_secs() as i128 * i128::from(unit)
        + i128::from(d.subsec_nanos() / (1_000_000_000 / unit));
    i64::try_from(sign * units).unwrap_or(if sign > 0 { i64::MAX } else { i64::MIN })
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn unix_seconds(&self) -> i64 {
        // The coarse instant is a 32.32 fixed-point count of seconds.
        let mono = coarsetime::Duration::from_u64(coarsetime::Instant::now().as_u64()).as_millis();
        let offset = if mono >= self.resync_at_ms.load(Ordering::Relaxed) {
            let offset = wall(1000).saturating_sub(mono as i64);
            self.offset_ms.store(offset, Ordering::Relaxed);
            self.resync_at_ms.store(mono + 1000, Ordering::Relaxed);
            offset
        } else {
            self.offset_ms.load(Ordering::Relaxed)
        };
        (mono as i64).saturating_add(offset).div_euclid(1000)
    }

    /// Full precision, straight from the wall clock: audit events are ordered by it.
    fn unix_micros(&self) -> i64 {
        wall(1_000_000)
    }
}

/// A clock that moves only when told: for tests, simulations and replays. Clones share
/// one time.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use custodian::retention::{Clock, ManualClock};
/// let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
/// clock.advance(TimeDelta::days(31));
/// assert_eq!(clock.now(), Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap());
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    /// Microseconds since the Unix epoch.
    micros: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock {
            micros: Arc::new(AtomicI64::new(at.timestamp_micros())),
        }
    }

    /// Sets the time (backwards too: the vault copes, see `docs/retention.md`).
    pub fn set(&self, at: DateTime<Utc>) {
        self.micros.store(at.timestamp_micros(), Ordering::SeqCst);
    }

    /// Moves the time by `by`.
    pub fn advance(&self, by: TimeDelta) {
        let by = by.num_microseconds().unwrap_or(i64::MAX);
        let _ = self
            .micros
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.micros.load(Ordering::SeqCst)).unwrap_or_default()
    }

    fn unix_seconds(&self) -> i64 {
        self.micros.load(Ordering::SeqCst).div_euclid(1_000_000)
    }

    fn unix_micros(&self) -> i64 {
        self.micros.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_agrees_with_the_wall_clock() {
        let clock = SystemClock::new();
        for _ in 0..3 {
            let fast = clock.unix_seconds();
            let wall = Utc::now().timestamp();
            assert!((fast - wall).abs() <= 1, "fast {fast}, wall {wall}");
            assert!((clock.now().timestamp() - wall).abs() <= 1);
            assert!((clock.unix_micros().div_euclid(1_000_000) - wall).abs() <= 1);
        }
    }

    #[test]
    fn the_manual_clock_moves_when_told() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let clock = ManualClock::new(start);
        let shared = clock.clone();
        shared.advance(TimeDelta::seconds(90));
        assert_eq!(clock.unix_seconds(), 1_700_000_090);
        clock.set(start);
        assert_eq!(shared.now(), start);
    }
}
