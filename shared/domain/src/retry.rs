//! The other half of optimistic concurrency. A write guarded by a version fails with
//! `StoreError::Conflict` when another writer moved the item first; the use case then reads
//! again and retries, up to a limit, after a random pause that grows with the conflicts met,
//! so that writers racing for one item retry apart rather than in lockstep.

use std::time::Duration;

/// The longest pause, reached at the tenth conflict in a row.
const MAX_PAUSE_MS: u64 = 200;

/// After the `conflicts`-th conflict in a row: `false` when that is more than `limit`, and the
/// use case gives up; otherwise `true`, after a pause, and the use case reads again and retries.
pub async fn retry_after_conflict(conflicts: u32, limit: u32) -> bool {
    if conflicts > limit {
        return false;
    }
    tokio::time::sleep(pause(conflicts)).await;
    true
}

/// A random pause of 5 ms up to 20 ms for each conflict met, at most `MAX_PAUSE_MS`.
fn pause(conflicts: u32) -> Duration {
    let longest = (20 * u64::from(conflicts.max(1))).min(MAX_PAUSE_MS);
    Duration::from_millis(fastrand::u64(5..=longest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[tokio::test]
    async fn retries_up_to_the_limit_and_no_further() {
        assert!(retry_after_conflict(1, 2).await);
        assert!(retry_after_conflict(2, 2).await);
        assert!(!retry_after_conflict(3, 2).await);
        assert!(!retry_after_conflict(1, 0).await);
    }

    #[tokio::test]
    async fn giving_up_does_not_wait() {
        let start = std::time::Instant::now();
        assert!(!retry_after_conflict(100, 20).await);
        assert!(start.elapsed() < Duration::from_millis(5));
    }

    proptest! {
        #[test]
        fn the_pause_grows_with_the_conflicts_up_to_a_bound(conflicts in 0u32..1000) {
            let pause = pause(conflicts).as_millis() as u64;
            prop_assert!(pause >= 5);
            prop_assert!(pause <= (20 * u64::from(conflicts.max(1))).min(MAX_PAUSE_MS));
        }
    }

    #[test]
    fn the_tenth_conflict_can_pause_the_longest() {
        let longest = (0..2000).map(|_| pause(10)).max().unwrap_or_default();
        assert!(longest > Duration::from_millis(150), "{longest:?}");
        let first = (0..2000).map(|_| pause(1)).max().unwrap_or_default();
        assert!(first <= Duration::from_millis(20), "{first:?}");
    }
}
