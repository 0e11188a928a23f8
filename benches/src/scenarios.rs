//! The scenario registry.
//!
//! To add a scenario, write `src/scenarios/<name>.rs` exposing `pub const SCENARIO: Scenario`
//! (see `hash.rs` for a model) and add its two lines below: the `mod` and the entry in [`ALL`].
//! A unit test fails if a file in `src/scenarios/` is not registered.

mod channel_hop;
mod fanout;
mod function_pod;
mod hash;
mod operators;
mod pipeline;
mod row_hash;
mod source_build;
mod streaming_memory;
mod sync_async;

use crate::error::BenchError;
use crate::scenario::Scenario;

/// Every scenario, in the order `cargo xtask bench` runs them.
pub const ALL: &[Scenario] = &[
    hash::SCENARIO,
    row_hash::SCENARIO,
    channel_hop::SCENARIO,
    source_build::SCENARIO,
    operators::SCENARIO,
    function_pod::SCENARIO,
    pipeline::SCENARIO,
    sync_async::SCENARIO,
    fanout::SCENARIO,
    streaming_memory::SCENARIO,
];

/// The scenario called `name`.
pub fn find(name: &str) -> Result<&'static Scenario, BenchError> {
    ALL.iter()
        .find(|scenario| scenario.name == name)
        .ok_or_else(|| BenchError::UnknownScenario {
            name: name.to_owned(),
            known: ALL
                .iter()
                .map(|scenario| scenario.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::ALL;

    #[test]
    fn every_scenario_file_is_registered_and_well_formed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/scenarios");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|entry| entry.unwrap().file_name().to_str().map(str::to_owned))
            .filter_map(|name| name.strip_suffix(".rs").map(str::to_owned))
            .collect();
        files.sort();
        let mut registered: Vec<String> = ALL.iter().map(|s| s.name.to_owned()).collect();
        registered.sort();
        assert_eq!(
            files, registered,
            "src/scenarios/*.rs and scenarios::ALL disagree"
        );
        for scenario in ALL {
            assert!(
                scenario.variants.iter().any(|v| v.name == scenario.limit),
                "{}",
                scenario.name
            );
            assert!(!scenario.default_sizes.is_empty() && !scenario.quick_sizes.is_empty());
            for python in scenario.python {
                assert!(
                    scenario.variants.iter().any(|v| v.name == python.variant),
                    "{}",
                    scenario.name
                );
            }
        }
    }
}
