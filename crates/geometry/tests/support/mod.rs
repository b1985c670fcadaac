pub mod synthetic;

/// An SVG's `<text>` contents, trimmed.
#[allow(dead_code)] // not every test binary draws
pub fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_owned())
        .collect()
}
