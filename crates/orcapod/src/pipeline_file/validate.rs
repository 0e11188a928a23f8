//! Checks across nodes: duplicate labels, unknown labels, cycles, and the build order.

use std::collections::BTreeMap;

use super::diag::{Diags, line_column, suggest};
use super::parse::Parsed;

/// Check the wiring and return the order in which nodes can be built: every node after its
/// inputs, ties broken by file position. Nodes in a cycle, or fed by one, or referring to an
/// unknown or duplicate label, are left out (their problems are reported).
pub(crate) fn wiring(parsed: &Parsed, text: &str, diags: &mut Diags) -> Vec<usize> {
    let nodes = &parsed.nodes;
    // Labels share one namespace across sources, operators and functions.
    let mut by_label: BTreeMap<&str, usize> = BTreeMap::new();
    let mut excluded = vec![false; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        if let Some(&first) = by_label.get(n.label.as_str()) {
            let (a, b) = if nodes[first].label_span.start <= n.label_span.start {
                (first, i)
            } else {
                (i, first)
            };
            let first_at = line_column(text, nodes[a].label_span.start);
            diags.at(
                nodes[b].label_span.clone(),
                format!(
                    "duplicate label '{}': already used by the {} declared at line {}, column {} (labels are shared by sources, operators and functions)",
                    n.label,
                    kind_of(parsed, a),
                    first_at.0,
                    first_at.1
                ),
            );
            excluded[i] = true;
            excluded[first] = true;
        } else {
            by_label.insert(&n.label, i);
        }
    }
    // Multi-input functions get an implicit join labelled `<function>_inputs`.
    for n in nodes.iter().filter(|n| n.from.len() > 1) {
        if !matches!(n.kind, Some(super::model::NodeKindDecl::Function(_))) {
            continue;
        }
        let implicit = format!("{}_inputs", n.label);
        if let Some(&j) = by_label.get(implicit.as_str()) {
            diags.at(
                nodes[j].label_span.clone(),
                format!(
                    "label '{implicit}' is reserved for the join of the inputs of function '{}'",
                    n.label
                ),
            );
            excluded[j] = true;
        }
    }

    let mut inputs: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        for (label, span) in &n.from {
            match by_label.get(label.as_str()) {
                Some(&j) if j == i => {
                    diags.at(
                        span.clone(),
                        format!("'{}' takes its own output as input (a cycle)", n.label),
                    );
                    excluded[i] = true;
                }
                Some(&j) => inputs[i].push(j),
                None => {
                    diags.at(
                        span.clone(),
                        format!(
                            "unknown label '{label}' in 'from' of '{}'{}",
                            n.label,
                            suggest(label, by_label.keys().copied())
                        ),
                    );
                    excluded[i] = true;
                }
            }
        }
    }

    // Kahn's algorithm, always taking the earliest-declared ready node.
    let mut remaining: Vec<usize> = inputs.iter().map(Vec::len).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, ins) in inputs.iter().enumerate() {
        for &j in ins {
            users[j].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..nodes.len()).filter(|&i| remaining[i] == 0).collect();
    let mut order = Vec::new();
    let mut done = vec![false; nodes.len()];
    while !ready.is_empty() {
        ready.sort_by_key(|&i| std::cmp::Reverse(nodes[i].label_span.start));
        let Some(i) = ready.pop() else { break };
        done[i] = true;
        order.push(i);
        for &u in &users[i] {
            remaining[u] -= 1;
            if remaining[u] == 0 {
                ready.push(u);
            }
        }
    }
    report_cycles(parsed, &inputs, &done, diags);
    // Nodes with problems, and everything downstream of them, are not built.
    let mut blocked = excluded;
    order.retain(|&i| {
        if inputs[i].iter().any(|&j| blocked[j]) {
            blocked[i] = true;
        }
        !blocked[i]
    });
    order
}

fn kind_of(parsed: &Parsed, i: usize) -> &'static str {
    match &parsed.nodes[i].kind {
        Some(k) => k.name(),
        None => "node",
    }
}

/// Every node left unsorted is in a cycle or downstream of one; report each cycle once, at
/// its earliest-declared member, naming the whole loop.
fn report_cycles(parsed: &Parsed, inputs: &[Vec<usize>], done: &[bool], diags: &mut Diags) {
    let nodes = &parsed.nodes;
    let mut reported = vec![false; nodes.len()];
    let mut pending: Vec<usize> = (0..nodes.len()).filter(|&i| !done[i]).collect();
    pending.sort_by_key(|&i| nodes[i].label_span.start);
    for start in pending {
        if reported[start] {
            continue;
        }
        // Walk upstream through unsorted nodes until a node repeats: that closes a cycle.
        let mut path = vec![start];
        let mut seen = BTreeMap::from([(start, 0usize)]);
        let mut cur = start;
        let cycle = loop {
            let Some(&next) = inputs[cur].iter().find(|&&j| !done[j]) else {
                break None;
            };
            if let Some(&pos) = seen.get(&next) {
                break Some(path[pos..].to_vec());
            }
            seen.insert(next, path.len());
            path.push(next);
            cur = next;
        };
        let Some(mut cycle) = cycle else { continue };
        if cycle.iter().any(|&i| reported[i]) {
            continue;
        }
        for &i in &cycle {
            reported[i] = true;
        }
        // Walking upstream lists the loop backwards; show it in data-flow order.
        cycle.reverse();
        let first = *cycle
            .iter()
            .min_by_key(|&&i| nodes[i].label_span.start)
            .unwrap_or(&start);
        let k = cycle.iter().position(|&i| i == first).unwrap_or(0);
        cycle.rotate_left(k);
        let mut names: Vec<&str> = cycle.iter().map(|&i| nodes[i].label.as_str()).collect();
        names.push(&nodes[first].label);
        diags.at(
            nodes[first].label_span.clone(),
            format!("cycle: {} (a pipeline must be acyclic)", names.join(" → ")),
        );
    }
}
