//! What LRU and LFU eviction know of each key: Redis's 24-bit per-object `lru` field (the
//! second of the last access, or under LFU the minute of the last decrement and a logarithmic
//! access counter), kept per shard in a table of words indexed by the key's hash rather than in
//! every entry. Readers update it under the shard's read lock (the words are atomic). Two keys
//! that share a word share their clock; under a policy the table keeps at least two words per
//! key, so that is rare, and eviction samples anyway.
//!
//! Without an LRU or LFU maxmemory-policy the words still keep each key's last access second,
//! for OBJECT IDLETIME (Redis keeps its `lru` field under every policy but LFU), in a table of
//! one word per two keys rather than two per key (its words are memory every key pays for):
//! nothing is evicted by it, so a shared word only makes an idle time read short. A word is
//! stored only when its second changes.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};

/// The time writes stamp keys with, in ms: refreshed by every executor's ticker (at least 20
/// times a second), as Redis's cron refreshes its LRU clock, so that a write need not read the
/// system clock. 0 until the first tick: then the system clock is read.
static CLOCK_MS: AtomicU64 = AtomicU64::new(0);

/// Refreshes [`clock_ms`].
pub fn tick_clock() {
    CLOCK_MS.store(super::now_ms(), Ordering::Relaxed);
}

/// The access clock's time (at most a tick behind the system clock).
#[inline]
pub fn clock_ms() -> u64 {
    match CLOCK_MS.load(Ordering::Relaxed) {
        0 => super::now_ms(),
        t => t,
    }
}

/// What is tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Off = 0,
    Lru = 1,
    Lfu = 2,
}

/// The process's tracking settings: the mode (from maxmemory-policy), lfu-log-factor and
/// lfu-decay-time.
pub struct Tracking {
    mode: AtomicU8,
    pub log_factor: AtomicU32,
    pub decay_minutes: AtomicU32,
}

impl Default for Tracking {
    fn default() -> Self {
        Tracking {
            mode: AtomicU8::new(Mode::Off as u8),
            log_factor: AtomicU32::new(10),
            decay_minutes: AtomicU32::new(1),
        }
    }
}

impl Tracking {
    #[inline]
    pub fn mode(&self) -> Mode {
        match self.mode.load(Ordering::Relaxed) {
            1 => Mode::Lru,
            2 => Mode::Lfu,
            _ => Mode::Off,
        }
    }

    pub fn set_mode(&self, m: Mode) {
        self.mode.store(m as u8, Ordering::Relaxed);
    }
}

/// A new key's LFU counter, as Redis's LFU_INIT_VAL: new keys are not evicted at once.
const LFU_INIT: u32 = 5;

/// Minutes, 16 bits, as Redis's LFU time.
fn minutes(now_ms: u64) -> u32 {
    ((now_ms / 60_000) & 0xFFFF) as u32
}

/// An LFU word's counter once decayed by the periods since its last decrement.
fn lfu_decayed(word: u32, now_ms: u64, decay_minutes: u32) -> u32 {
    let counter = word & 0xFF;
    // Minutes wrap at 16 bits, as Redis's LFU clock (and an LRU word read as LFU, after the
    // policy changed, must not overflow).
    let last = (word >> 8) & 0xFFFF;
    let elapsed = minutes(now_ms).wrapping_sub(last) & 0xFFFF;
    // lfu-decay-time 0: counters never decay.
    let periods = elapsed.checked_div(decay_minutes).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// Redis's LFULogIncr: the counter grows with probability 1/((counter - 5) * factor + 1).
fn lfu_incr(counter: u32, factor: u32) -> u32 {
    if counter >= 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT) as f64;
    let p = 1.0 / (base * f64::from(factor) + 1.0);
    if rand::random::<f64>() < p {
        counter + 1
    } else {
        counter
    }
}

/// One shard's words.
#[derive(Default)]
pub struct Clocks {
    words: Box<[AtomicU32]>,
}

impl Clocks {
    #[inline]
    fn word(&self, hash: u64) -> Option<&AtomicU32> {
        let n = self.words.len();
        (n > 0).then(|| &self.words[(hash as usize) & (n - 1)])
    }

    /// Makes room for `keys` keys (two words each under a policy, one per two keys without;
    /// a power of two), keeping what each key's word said.
    pub fn fit(&mut self, keys: usize, mode: Mode, now_ms: u64) {
        let want = match mode {
            Mode::Off => (keys / 2).next_power_of_two().max(8),
            _ => (keys * 2).next_power_of_two().max(64),
        };
        if self.words.len() >= want {
            return;
        }
        let old = std::mem::take(&mut self.words);
        let fresh = Self::new_word(mode, now_ms);
        self.words = (0..want)
            .map(|i| {
                let v = if old.is_empty() {
                    fresh
                } else {
                    old[i & (old.len() - 1)].load(Ordering::Relaxed)
                };
                AtomicU32::new(v)
            })
            .collect();
    }

    /// A created key's word.
    fn new_word(mode: Mode, now_ms: u64) -> u32 {
        match mode {
            Mode::Lfu => (minutes(now_ms) << 8) | LFU_INIT,
            _ => (now_ms / 1000) as u32,
        }
    }

    /// A key was created. Under LFU its counter starts one short of LFU_INIT: the write that
    /// created it touches it next ([`Clocks::touch`]), which always lifts a counter at or below
    /// LFU_INIT by one, so a new key holds LFU_INIT as in Redis (whose creation is no access).
    /// A word that a more used key shares keeps its count: a new key taken for a hot one costs
    /// a slot, a hot key taken for a new one would cost misses.
    pub fn created(&self, hash: u64, t: &Tracking, now_ms: u64) {
        let Some(w) = self.word(hash) else {
            return;
        };
        let mode = t.mode();
        let word = Self::new_word(mode, now_ms);
        if mode == Mode::Lfu {
            let decay = t.decay_minutes.load(Ordering::Relaxed);
            if lfu_decayed(w.load(Ordering::Relaxed), now_ms, decay) <= LFU_INIT {
                w.store(word - 1, Ordering::Relaxed);
            }
            return;
        }
        w.store(word, Ordering::Relaxed);
    }

    /// A key was read or written.
    #[inline]
    pub fn touch(&self, hash: u64, t: &Tracking, now_ms: u64) {
        let Some(w) = self.word(hash) else {
            return;
        };
        match t.mode() {
            Mode::Off | Mode::Lru => {
                let s = (now_ms / 1000) as u32;
                if w.load(Ordering::Relaxed) != s {
                    w.store(s, Ordering::Relaxed);
                }
            }
            Mode::Lfu => {
                let decay = t.decay_minutes.load(Ordering::Relaxed);
                let c = lfu_decayed(w.load(Ordering::Relaxed), now_ms, decay);
                let c = lfu_incr(c, t.log_factor.load(Ordering::Relaxed));
                w.store((minutes(now_ms) << 8) | c, Ordering::Relaxed);
            }
        }
    }

    /// RESTORE's IDLETIME and FREQ, as Redis's objectSetLRUOrLFU: the counter is kept under an
    /// LFU policy, the idle time under any other; the other is ignored.
    pub fn set(&self, hash: u64, t: &Tracking, now_ms: u64, idle: Option<u64>, freq: Option<u8>) {
        let Some(w) = self.word(hash) else {
            return;
        };
        match (t.mode(), idle, freq) {
            (Mode::Off | Mode::Lru, Some(idle), _) => {
                let at = (now_ms / 1000).saturating_sub(idle);
                w.store(at as u32, Ordering::Relaxed);
            }
            (Mode::Lfu, _, Some(f)) => {
                w.store((minutes(now_ms) << 8) | u32::from(f), Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// Seconds since the key was last used (0 when not tracked).
    pub fn idle_secs(&self, hash: u64, now_ms: u64) -> u64 {
        self.word(hash).map_or(0, |w| {
            (now_ms / 1000).saturating_sub(u64::from(w.load(Ordering::Relaxed)))
        })
    }

    /// The key's LFU counter, decayed (0 when not tracked).
    pub fn freq(&self, hash: u64, t: &Tracking, now_ms: u64) -> u32 {
        self.word(hash).map_or(0, |w| {
            lfu_decayed(
                w.load(Ordering::Relaxed),
                now_ms,
                t.decay_minutes.load(Ordering::Relaxed),
            )
        })
    }

    /// How much the policy wants the key gone (higher: sooner): idle seconds under LRU, the
    /// counter's distance below 255 under LFU.
    pub fn eviction_score(&self, hash: u64, t: &Tracking, now_ms: u64) -> u64 {
        match t.mode() {
            Mode::Lfu => 255 - u64::from(self.freq(hash, t, now_ms)),
            _ => self.idle_secs(hash, now_ms),
        }
    }

    /// The bytes its words hold (used memory).
    pub fn bytes(&self) -> usize {
        self.words.len() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_and_lfu_words() {
        let t = Tracking::default();
        let mut c = Clocks::default();
        c.fit(10, Mode::Lru, 0);
        t.set_mode(Mode::Lru);
        c.created(7, &t, 1_000_000);
        assert_eq!(c.idle_secs(7, 1_005_000), 5);
        c.touch(7, &t, 1_010_000);
        assert_eq!(c.idle_secs(7, 1_010_000), 0);
        // Growing keeps each key's word.
        c.fit(1000, Mode::Lru, 2_000_000);
        assert_eq!(c.idle_secs(7, 1_012_000), 2);

        t.set_mode(Mode::Lfu);
        c.created(9, &t, 0);
        c.touch(9, &t, 0);
        assert_eq!(c.freq(9, &t, 0), LFU_INIT);
        for _ in 0..1000 {
            c.touch(9, &t, 0);
        }
        let hot = c.freq(9, &t, 0);
        assert!(hot > LFU_INIT && hot < 255, "{hot}");
        // One point lost per lfu-decay-time minute.
        assert_eq!(c.freq(9, &t, 3 * 60_000), hot - 3);
        // Without a policy idle time is still kept.
        t.set_mode(Mode::Off);
        let mut c = Clocks::default();
        c.fit(1, Mode::Off, 0);
        c.created(3, &t, 1_000_000);
        assert_eq!(c.idle_secs(3, 1_004_000), 4);
        c.touch(3, &t, 1_006_000);
        assert_eq!(c.idle_secs(3, 1_007_000), 1);
    }
}
