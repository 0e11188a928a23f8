//! Overlapping a computation with storing its results, chunk by chunk.

use crate::error::Result;

/// Runs `compute` on every chunk and `commit` on its result, in chunk order, `commit` on the
/// calling thread.
///
/// The next chunk is computed on a helper thread while `commit` stores the previous one (one
/// chunk of lookahead through a rendezvous channel), so computing and storing overlap
/// instead of alternating: a cold run on a persistent store spends most of its time in the
/// store's write path, a run of an expensive function in the function. `commit` returns
/// `Ok(false)` to stop (fail-fast); at most the chunk being computed at that moment is
/// wasted (never committed), and no further chunk is started. The first error of either
/// side ends the run and is returned. A killed run loses at most the two chunks not yet
/// committed.
///
/// Without `lookahead` the chunks are computed and committed one after the other on the
/// calling thread: fail-fast runs use that, since their stop would discard the chunk computed
/// ahead, and finished work is meant to stay stored.
pub(crate) fn overlapped<C: Sync, T: Send>(
    chunks: &[C],
    lookahead: bool,
    compute: impl Fn(&C) -> Result<T> + Sync,
    mut commit: impl FnMut(&C, T) -> Result<bool>,
) -> Result<()> {
    if !lookahead || chunks.len() <= 1 {
        // Nothing to overlap with, or no work to risk.
        for chunk in chunks {
            if !commit(chunk, compute(chunk)?)? {
                break;
            }
        }
        return Ok(());
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<T>>(0);
        let (stop, compute) = (&stop, &compute);
        scope.spawn(move || {
            for chunk in chunks {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let results = compute(chunk);
                let failed = results.is_err();
                // A closed channel means the committer stopped (fail-fast or an error).
                if tx.send(results).is_err() || failed {
                    break;
                }
            }
        });
        for chunk in chunks {
            // The producer only hangs up early after an error it has sent, or a panic
            // (which the scope re-raises when it joins).
            let Ok(results) = rx.recv() else { break };
            if !commit(chunk, results?)? {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                break;
            }
        }
        // Dropping `rx` here unblocks a producer waiting to hand over a chunk nobody takes.
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::error::NodeError;

    fn failure(what: &str) -> NodeError {
        NodeError::InvalidInput {
            node: "n".into(),
            reason: what.into(),
        }
    }

    #[test]
    fn overlapped_commits_every_chunk_in_order() {
        for n in [0, 1, 2, 7, 50] {
            let chunks: Vec<usize> = (0..n).collect();
            let mut seen = Vec::new();
            overlapped(
                &chunks,
                true,
                |c| Ok(c * 10),
                |c, t| {
                    seen.push((*c, t));
                    Ok(true)
                },
            )
            .expect("run");
            let want: Vec<(usize, usize)> = (0..n).map(|c| (c, c * 10)).collect();
            assert_eq!(seen, want, "{n} chunks");
        }
    }

    /// Runs 20 chunks whose commit stops after chunk 4; returns the committed chunks and the
    /// number computed.
    fn stop_after_chunk_4(lookahead: bool) -> (Vec<usize>, usize) {
        let chunks: Vec<usize> = (0..20).collect();
        let computed = AtomicUsize::new(0);
        let mut committed = Vec::new();
        overlapped(
            &chunks,
            lookahead,
            |c| {
                computed.fetch_add(1, Ordering::SeqCst);
                Ok(*c)
            },
            |c, _| {
                committed.push(*c);
                Ok(*c < 4)
            },
        )
        .expect("run");
        (committed, computed.load(Ordering::SeqCst))
    }

    #[test]
    fn overlapped_stops_when_commit_says_so_and_computes_at_most_one_chunk_ahead() {
        let (committed, computed) = stop_after_chunk_4(true);
        assert_eq!(committed, vec![0, 1, 2, 3, 4]);
        // Chunk 5 may be computed while 4 is committed (its hand-over then fails); chunk 6
        // can only start after 5 was handed over, which never happens.
        assert!((5..=6).contains(&computed), "computed {computed} chunks");
    }

    #[test]
    fn overlapped_returns_the_first_error_of_either_side_without_hanging() {
        let chunks: Vec<usize> = (0..10).collect();
        let computed = Mutex::new(Vec::new());
        let err = overlapped(
            &chunks,
            true,
            |c| {
                computed.lock().expect("lock").push(*c);
                if *c == 3 {
                    Err(failure("compute 3"))
                } else {
                    Ok(*c)
                }
            },
            |_, _| Ok(true),
        )
        .expect_err("compute error");
        assert!(err.to_string().contains("compute 3"), "{err}");
        assert_eq!(*computed.lock().expect("lock"), vec![0, 1, 2, 3]);

        let mut committed = Vec::new();
        let err = overlapped(
            &chunks,
            true,
            |c| Ok(*c),
            |c, _| {
                committed.push(*c);
                if *c == 2 {
                    Err(failure("commit 2"))
                } else {
                    Ok(true)
                }
            },
        )
        .expect_err("commit error");
        assert!(err.to_string().contains("commit 2"), "{err}");
        assert_eq!(committed, vec![0, 1, 2]);
    }

    #[test]
    fn without_lookahead_nothing_is_computed_past_the_stop() {
        let (committed, computed) = stop_after_chunk_4(false);
        assert_eq!(committed, vec![0, 1, 2, 3, 4]);
        assert_eq!(computed, 5);
    }
}
