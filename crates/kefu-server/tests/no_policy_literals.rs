//! Issue 11's line that must stay true: the server and the store hold no policy, so no rule
//! ID of the catalogue and no clock name appears as a string literal in their sources outside
//! tests. A rule is named by its constant (`kefu_rules::ids`), a clock by `ClockKind`.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The string literals of a source file's non-test code, with their line numbers (comments
/// skipped; the code after `#[cfg(test)]` is tests in this workspace's layout).
fn literals(text: &str) -> Vec<(usize, String)> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(start) = rest.find('"') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('"') else { break };
            out.push((n + 1, after[..end].to_string()));
            rest = &after[end + 1..];
        }
    }
    out
}

#[test]
fn no_rule_id_or_clock_name_is_a_literal_in_the_server_or_the_store() {
    let rule_ids: Vec<&str> = kefu_rules::catalog::RULES.iter().map(|r| r.0).collect();
    let clocks: Vec<&str> = kefu_core::ClockKind::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert!(rule_ids.contains(&"HIGHVALUE-CHANNEL") && clocks.contains(&"high_value_response"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    sources(&root.join("kefu-server/src"), &mut files);
    sources(&root.join("kefu-store/src"), &mut files);
    // The store's conformance suite is tests, compiled only for them.
    files.retain(|f| {
        !f.components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with("conformance"))
    });
    assert!(files.len() > 20, "sources found: {}", files.len());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (line, lit) in literals(&text) {
            if rule_ids.contains(&lit.as_str()) || clocks.contains(&lit.as_str()) {
                found.push(format!("{}:{line}: {lit:?}", file.display()));
            }
        }
    }
    assert!(found.is_empty(), "policy literals:\n{}", found.join("\n"));
}

#[test]
fn the_scan_finds_a_literal() {
    let text =
        "let a = \"TB-FRT-5M\"; // \"EBAY-FRT-24H\" in a comment\n#[cfg(test)]\nlet b = \"x\";";
    assert_eq!(literals(text), vec![(1, "TB-FRT-5M".to_string())]);
}
