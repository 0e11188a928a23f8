//! The orcapod-rs demo: sources from CSV files and a folder of recordings, with their schemas,
//! rows, provenance and identities.
//!
//! Run with `cargo run --release --example demo`.

use std::path::PathBuf;

use orcapod::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data");

    let subjects = Source::from_file(
        data.join("subjects.csv"),
        SourceOptions::new(["subject"]).source_id("subjects"),
    )?;
    let sessions = Source::from_file(
        data.join("sessions.csv"),
        SourceOptions::new(["subject", "session"]).source_id("sessions"),
    )?;
    let recordings = Source::from_directory(
        data.join("recordings"),
        Some("txt"),
        SourceOptions::new(["name"]).source_id("recordings"),
    )?;

    for source in [&subjects, &sessions, &recordings] {
        print_source(source)?;
    }
    Ok(())
}

fn print_source(source: &Source) -> Result<(), Box<dyn std::error::Error>> {
    let stream = source.stream();
    let (tags, packets) = stream.output_schema(&ColumnConfig::default())?;
    println!(
        "== {} '{}' ({} rows)",
        source.kind(),
        source.source_id(),
        stream.num_rows()
    );
    println!("   tag schema:    {tags}");
    println!("   packet schema: {packets}");
    println!("   content hash:  {}", source.content_hash());
    println!("   pipeline hash: {}", source.pipeline_hash());
    println!("   table hash:    {}", source.table_hash());
    for row in stream.iter_rows() {
        let (tag, packet) = row?;
        let tag_values: Vec<String> = tag
            .data()
            .values()?
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let packet_values: Vec<String> = packet
            .data()
            .values()?
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!(
            "   [{}] {}  packet {}",
            tag_values.join(", "),
            packet_values.join(", "),
            packet.content_hash()?.display_name(16)
        );
    }
    let (_, first) = stream.row(0)?;
    for (column, token) in first.source_info()? {
        println!("   provenance of row 0, column {column}: {token}");
    }
    println!();
    Ok(())
}
