//! Geo indexing as Redis does it: a point is a sorted-set member whose score is the 52-bit
//! interleaved geohash of its coordinates (latitude limited to the Web Mercator range), and a
//! radius or box search scans the score ranges of the 3x3 geohash cells around the centre, at a
//! cell size estimated from the radius. The arithmetic, the cell choice and the scan order follow
//! Redis's, so scores, distances and the order of unsorted results are the same.

pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
pub const LAT_MIN: f64 = -85.051_128_78;
pub const LAT_MAX: f64 = 85.051_128_78;
/// Cell precision of stored scores: 26 bits per coordinate.
pub const STEP_MAX: u8 = 26;
const EARTH_RADIUS_M: f64 = 6_372_797.560_856;
const MERCATOR_MAX: f64 = 20_037_726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(d: f64) -> f64 {
    d * D_R
}

fn rad_deg(r: f64) -> f64 {
    r / D_R
}

/// A geohash: `step` bits per coordinate, interleaved (latitude in the even bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hash {
    pub bits: u64,
    pub step: u8,
}

impl Hash {
    const ZERO: Hash = Hash { bits: 0, step: 0 };

    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The score range [min, max) of the stored points inside this cell.
    pub fn score_range(self) -> (u64, u64) {
        let shift = 52 - 2 * self.step as u32;
        (self.bits << shift, (self.bits + 1) << shift)
    }
}

#[derive(Clone, Copy, Debug)]
struct Range {
    min: f64,
    max: f64,
}

const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// A cell's extent.
#[derive(Clone, Copy, Debug)]
struct Area {
    lat: Range,
    long: Range,
}

fn spread(v: u32) -> u64 {
    let mut x = v as u64;
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

fn squash(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

/// Whether the pair is inside the indexable range (GEOADD's check).
pub fn valid(lon: f64, lat: f64) -> bool {
    (LONG_MIN..=LONG_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

fn encode_in(long_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<Hash> {
    if !valid(lon, lat)
        || lat < lat_r.min
        || lat > lat_r.max
        || lon < long_r.min
        || lon > long_r.max
    {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let long_off = (lon - long_r.min) / (long_r.max - long_r.min) * scale;
    // C converts the offsets to uint32_t: truncation.
    Some(Hash {
        bits: spread(lat_off as u32) | (spread(long_off as u32) << 1),
        step,
    })
}

fn encode(lon: f64, lat: f64, step: u8) -> Option<Hash> {
    encode_in(LONG_RANGE, LAT_RANGE, lon, lat, step)
}

/// The score GEOADD stores for a valid pair.
pub fn score(lon: f64, lat: f64) -> u64 {
    encode(lon, lat, STEP_MAX).map_or(0, |h| h.score_range().0)
}

fn decode(h: Hash) -> Area {
    let ilat = squash(h.bits) as f64;
    let ilon = squash(h.bits >> 1) as f64;
    let cells = (1u64 << h.step) as f64;
    let lat_scale = LAT_RANGE.max - LAT_RANGE.min;
    let long_scale = LONG_RANGE.max - LONG_RANGE.min;
    Area {
        lat: Range {
            min: LAT_RANGE.min + (ilat / cells) * lat_scale,
            max: LAT_RANGE.min + ((ilat + 1.0) / cells) * lat_scale,
        },
        long: Range {
            min: LONG_RANGE.min + (ilon / cells) * long_scale,
            max: LONG_RANGE.min + ((ilon + 1.0) / cells) * long_scale,
        },
    }
}

/// A score as C's `(uint64_t)` cast of a double gives it on x86-64 (scores of members not
/// added by GEOADD decode to something, as in Redis).
fn score_bits(score: f64) -> u64 {
    if score >= 9_223_372_036_854_775_808.0 {
        ((score - 9_223_372_036_854_775_808.0) as i64 as u64) ^ (1 << 63)
    } else {
        score as i64 as u64
    }
}

/// The coordinates a stored score stands for: its cell's centre.
pub fn position(score: f64) -> (f64, f64) {
    let a = decode(Hash {
        bits: score_bits(score),
        step: STEP_MAX,
    });
    let lon = ((a.long.min + a.long.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// GEOHASH's 11-character standard geohash (latitude over -90..90) of a stored score.
pub fn geohash_string(score: f64) -> String {
    const ALPHABET: &[u8] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = position(score);
    let bits = encode_in(
        LONG_RANGE,
        Range {
            min: -90.0,
            max: 90.0,
        },
        lon,
        lat,
        STEP_MAX,
    )
    .map_or(0, |h| h.bits);
    (0..11)
        .map(|i| {
            let idx = if i == 10 {
                0
            } else {
                (bits >> (52 - (i + 1) * 5)) & 0x1f
            };
            ALPHABET[idx as usize] as char
        })
        .collect()
}

fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_M * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Great-circle distance in meters (haversine on Redis's earth radius).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let v = ((deg_rad(lon2) - deg_rad(lon1)) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

/// What a search covers, in meters once multiplied by `unit`.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search: centre, shape and the unit (meters per unit) its sizes are given in.
#[derive(Clone, Copy, Debug)]
pub struct Search {
    pub lon: f64,
    pub lat: f64,
    pub shape: Shape,
    pub unit: f64,
}

impl Search {
    /// The distance (meters) from the centre to a point inside the shape, or None outside.
    pub fn within(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.shape {
            Shape::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= r * self.unit).then_some(d)
            }
            Shape::Box { width, height } => {
                // Latitude first: it is the cheaper distance.
                if lat_distance(lat, self.lat) > height * self.unit / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > width * self.unit / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// [min_lon, min_lat, max_lon, max_lat] around the shape.
    fn bounds(&self) -> [f64; 4] {
        let (h, w) = match self.shape {
            Shape::Radius(r) => (r * self.unit, r * self.unit),
            Shape::Box { width, height } => (height * self.unit / 2.0, width * self.unit / 2.0),
        };
        let lat_delta = rad_deg(h / EARTH_RADIUS_M);
        let top = rad_deg(w / EARTH_RADIUS_M / deg_rad(self.lat + lat_delta).cos());
        let bottom = rad_deg(w / EARTH_RADIUS_M / deg_rad(self.lat - lat_delta).cos());
        // The hemispheres bulge in opposite directions.
        let d = if self.lat < 0.0 { bottom } else { top };
        [
            self.lon - d,
            self.lat - lat_delta,
            self.lon + d,
            self.lat + lat_delta,
        ]
    }

    /// The cells to scan, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW), with cells
    /// that cannot hold a match and repeats of the one scanned before left out.
    pub fn cells(&self) -> Vec<Hash> {
        let b = self.bounds();
        let radius_m = match self.shape {
            Shape::Radius(r) => r,
            Shape::Box { width, height } => ((width / 2.0).powi(2) + (height / 2.0).powi(2)).sqrt(),
        } * self.unit;
        let mut steps = estimate_steps(radius_m, self.lat);
        let mut hash = encode(self.lon, self.lat, steps).unwrap_or(Hash::ZERO);
        let mut n = neighbors(hash);
        let (north, south) = (decode(n[0]), decode(n[1]));
        let (east, west) = (decode(n[2]), decode(n[3]));
        let decrease = north.lat.max < b[3]
            || south.lat.min > b[1]
            || east.long.max < b[2]
            || west.long.min > b[0];
        if steps > 1 && decrease {
            steps -= 1;
            hash = encode(self.lon, self.lat, steps).unwrap_or(Hash::ZERO);
            n = neighbors(hash);
        }
        let area = decode(hash);
        // n: north, south, east, west, north_east, north_west, south_east, south_west.
        if steps >= 2 {
            if area.lat.min < b[1] {
                for i in [1, 7, 6] {
                    n[i] = Hash::ZERO;
                }
            }
            if area.lat.max > b[3] {
                for i in [0, 4, 5] {
                    n[i] = Hash::ZERO;
                }
            }
            if area.long.min < b[0] {
                for i in [3, 7, 5] {
                    n[i] = Hash::ZERO;
                }
            }
            if area.long.max > b[2] {
                for i in [2, 6, 4] {
                    n[i] = Hash::ZERO;
                }
            }
        }
        let all = [hash, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]];
        let mut out = Vec::with_capacity(9);
        let mut last: Option<usize> = None;
        for (i, h) in all.iter().enumerate() {
            if h.is_zero() {
                continue;
            }
            // Redis compares with the previous cell only once one other than the centre was
            // scanned.
            if let Some(l) = last.filter(|&l| l > 0) {
                if all[l] == *h {
                    continue;
                }
            }
            out.push(*h);
            last = Some(i);
        }
        out
    }
}

fn estimate_steps(mut range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_m < MERCATOR_MAX {
        range_m *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// Moves a cell one step along one coordinate: `axis` masks its bits (odd: longitude, even:
/// latitude), `d` says which way (Redis's geohash_move_x/_y).
fn step(h: Hash, d: i8, axis: u64) -> Hash {
    let other = !axis;
    let shift = 64 - h.step as u32 * 2;
    let (mine, rest) = (h.bits & axis, h.bits & other);
    let zz = other >> shift;
    let moved = if d > 0 {
        mine.wrapping_add(zz + 1)
    } else {
        (mine | zz).wrapping_sub(zz + 1)
    } & (axis >> shift);
    Hash {
        bits: moved | rest,
        step: h.step,
    }
}

const LON_BITS: u64 = 0xaaaa_aaaa_aaaa_aaaa;
const LAT_BITS: u64 = 0x5555_5555_5555_5555;

fn move_x(h: Hash, d: i8) -> Hash {
    step(h, d, LON_BITS)
}

fn move_y(h: Hash, d: i8) -> Hash {
    step(h, d, LAT_BITS)
}

/// north, south, east, west, north_east, north_west, south_east, south_west.
fn neighbors(h: Hash) -> [Hash; 8] {
    if h.step == 0 {
        return [h; 8];
    }
    [
        move_y(h, 1),
        move_y(h, -1),
        move_x(h, 1),
        move_x(h, -1),
        move_y(move_x(h, 1), 1),
        move_y(move_x(h, -1), 1),
        move_y(move_x(h, 1), -1),
        move_y(move_x(h, -1), -1),
    ]
}

/// A distance as Redis replies it: rounded to 4 decimals (llrint, ties to even).
pub fn fmt_distance(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".into();
    }
    let v = (d * 10000.0).round_ties_even() as i64;
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:04}", a / 10000, a % 10000)
}

/// A coordinate as Redis replies it (`%.17Lf`, trailing zeros cut).
pub fn fmt_coord(v: f64) -> String {
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_round_trips() {
        for v in [0u32, 1, 0xdead_beef, u32::MAX] {
            assert_eq!(squash(spread(v)), v);
        }
    }

    #[test]
    fn known_scores_and_hashes() {
        // Palermo and Catania, from Redis's documentation examples.
        assert_eq!(score(13.361389, 38.115556), 3479099956230698);
        assert_eq!(score(15.087269, 37.502669), 3479447370796909);
        assert_eq!(geohash_string(3479099956230698.0), "sqc8b49rny0");
        let (a, b) = (position(3479099956230698.0), position(3479447370796909.0));
        assert_eq!(fmt_distance(distance(a.0, a.1, b.0, b.1)), "166274.1516");
    }
}
