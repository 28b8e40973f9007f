//! How the stores' hash tables grow: in doubling steps of the entries they hold, not in
//! proportion to them. A projection that multiplies bytes per session out from a short run
//! follows these staircases instead of a straight line (`docs/scale.md`, "What does not grow
//! linearly").

/// The buckets of a Rust `HashMap` (hashbrown) holding `items`, grown one insert at a time:
/// 4 buckets hold 3 items, 8 hold 7, and from 16 on a table is at most 7/8 full before it
/// doubles. Tables never shrink on removal, so `items` is the most the table has held.
pub fn hashbrown_buckets(items: u64) -> u64 {
    match items {
        0 => 0,
        1..=3 => 4,
        4..=7 => 8,
        _ => (items * 8).div_ceil(7).next_power_of_two(),
    }
}

/// The bytes a hashbrown table of `buckets` allocates for entries of `entry_bytes`: the entries
/// (padded to the 16-byte group), a control byte per bucket, and one group of trailing control
/// bytes.
pub fn hashbrown_table_bytes(buckets: u64, entry_bytes: u64) -> u64 {
    if buckets == 0 { 0 } else { (buckets * entry_bytes).next_multiple_of(16) + buckets + 16 }
}

/// The buckets a Redis dict holds for `keys` (`dict.c`, `_dictExpandIfNeeded`): it doubles when
/// an insert finds it full, so the size is the least power of two at least `keys` (4 at least).
pub fn redis_buckets(keys: u64) -> u64 {
    keys.max(4).next_power_of_two()
}

/// The bytes of Redis's bucket arrays for a database of `keys`, every one with an expiry (as
/// session keys and the user index have): the main dict and the expires dict, 8 bytes (a pointer)
/// per bucket each. The per-key entries are linear and not counted here. Checked against Redis
/// 7.0's `MEMORY STATS` (`overhead.hashtable.main` = 40 B per key + 8 B per bucket,
/// `overhead.hashtable.expires` = 24 B per key + 8 B per bucket, at 1k to 32k keys); while a dict
/// rehashes, its old array lives on for a moment as well, which this leaves out.
pub fn redis_table_bytes(keys: u64) -> u64 {
    2 * 8 * redis_buckets(keys)
}

/// The expected value of `staircase(x)` where `x`, the entries one of `shards` tables holds, is
/// binomial: `items` spread uniformly at random over the shards (as session ids and user names
/// hash). The steps blur where many shards cross one threshold at nearly the same total.
/// `staircase` must be non-decreasing and start at `staircase(0)`.
pub fn expected_over_shards(items: f64, shards: u64, staircase: impl Fn(u64) -> u64) -> f64 {
    let shards_f = shards.max(1) as f64;
    let mean = items.max(0.0) / shards_f;
    let sd = (mean * (1.0 - 1.0 / shards_f)).sqrt();
    if sd < 1e-9 {
        return shards_f * staircase(mean.round() as u64) as f64;
    }
    // E[f(X)] = f(0) + Σ over each step t (where f(t) > f(t − 1)) of its rise × P(X ≥ t).
    let limit = (mean + 12.0 * sd + 16.0) as u64;
    let (mut expected, mut previous) = (staircase(0) as f64, staircase(0));
    let mut t = 1;
    while t <= limit {
        let now = staircase(t);
        if now > previous {
            // The normal approximation with a continuity correction.
            expected += (now - previous) as f64 * upper_tail((t as f64 - 0.5 - mean) / sd);
            previous = now;
        }
        // Steps come at doubling sizes: jump to just below the next one instead of walking.
        t = next_step(t, &staircase, limit);
    }
    shards_f * expected
}

/// The least `u > t` where `staircase` rises, or past `limit`: found by doubling then bisecting,
/// since the steps of a doubling table are exponentially far apart.
fn next_step(t: u64, staircase: &impl Fn(u64) -> u64, limit: u64) -> u64 {
    let level = staircase(t);
    let mut hi = t + 1;
    while hi <= limit && staircase(hi) == level {
        hi = t + (hi - t) * 2;
    }
    if hi > limit {
        return limit + 1;
    }
    let mut lo = t; // staircase(lo) == level < staircase(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if staircase(mid) == level { lo = mid } else { hi = mid }
    }
    hi
}

/// P(Z ≥ z) for a standard normal Z (Abramowitz and Stegun 7.1.26, error below 1.5·10⁻⁷).
fn upper_tail(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    if z >= 0.0 { erfc / 2.0 } else { 1.0 - erfc / 2.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_bucket_rule_is_what_std_hash_maps_do() {
        let mut map: HashMap<u64, u64> = HashMap::new();
        for items in 1..=20_000u64 {
            map.insert(items, items);
            let buckets = hashbrown_buckets(items);
            let capacity = if buckets < 8 { buckets - 1 } else { buckets / 8 * 7 };
            assert_eq!(map.capacity() as u64, capacity, "after {items} inserts");
        }
    }

    #[test]
    fn one_shard_is_its_staircase_and_many_blur_it() {
        let f = |n| hashbrown_table_bytes(hashbrown_buckets(n), 40);
        assert_eq!(expected_over_shards(1000.0, 1, f), f(1000) as f64);
        // 64 shards of 14.3k items each: around 224 per shard, the 256-bucket tables' limit, about
        // half the shards have doubled.
        let at_limit = expected_over_shards(64.0 * 224.5, 64, f) / 64.0;
        let (below, above) = (f(224) as f64, f(225) as f64);
        assert!((at_limit - (below + above) / 2.0).abs() < 0.1 * (above - below), "{below} {at_limit} {above}");
        // Far from any step, the expectation is the step it is on.
        let mid = expected_over_shards(64.0 * 160.0, 64, f) / 64.0;
        assert!((mid - f(160) as f64).abs() < 0.01 * f(160) as f64, "{mid}");
        assert!((upper_tail(0.0) - 0.5).abs() < 1e-7 && upper_tail(6.0) < 1e-8 && upper_tail(-6.0) > 1.0 - 1e-8);
    }

    #[test]
    fn a_redis_dict_doubles_at_powers_of_two() {
        assert_eq!((redis_buckets(0), redis_buckets(8192), redis_buckets(8193)), (4, 8192, 16384));
    }
}
