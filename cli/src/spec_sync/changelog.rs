//! The breaking changes a sync makes, written where a release will read them: under the changelog's
//! `## Unreleased` heading, in its `### Breaking` section (made if missing).

/// `changelog` with `breaks` (one line each) added under `## Unreleased` → `### Breaking`; `None` if the
/// changelog has no `## Unreleased` heading (the lines are then the user's to place).
pub fn record_breaking(changelog: &str, breaks: &[String]) -> Option<String> {
    if breaks.is_empty() {
        return Some(changelog.to_string());
    }
    let unreleased = changelog
        .find("\n## Unreleased")
        .map(|at| at + 1)
        .or_else(|| changelog.starts_with("## Unreleased").then_some(0))?;
    let body = unreleased
        + changelog[unreleased..]
            .find('\n')
            .map_or(changelog.len() - unreleased, |n| n + 1);
    let end = changelog[body..]
        .find("\n## ")
        .map_or(changelog.len(), |at| body + at + 1);
    let items: String = breaks.iter().map(|line| format!("- {line}\n")).collect();
    let mut out = String::with_capacity(changelog.len() + items.len() + 16);
    match changelog[body..end].find("### Breaking\n") {
        Some(at) => {
            let insert = body + at + "### Breaking\n".len();
            out.push_str(&changelog[..insert]);
            out.push_str(&items);
            out.push_str(&changelog[insert..]);
        }
        None => {
            out.push_str(&changelog[..body]);
            out.push_str("\n### Breaking\n");
            out.push_str(&items);
            out.push_str(&changelog[body..]);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaking_lines_go_under_unreleased() {
        let breaks = vec!["`V3StyleType` loses \"Design\"".to_string()];
        let with_section =
            "# Changelog\n\n## Unreleased\n\n### Breaking\n- earlier\n\n## 0.1.0\n- old\n";
        let out = record_breaking(with_section, &breaks).unwrap();
        assert_eq!(
            out,
            "# Changelog\n\n## Unreleased\n\n### Breaking\n- `V3StyleType` loses \"Design\"\n- earlier\n\n## 0.1.0\n- old\n"
        );
        let without =
            "# Changelog\n\n## Unreleased\n\n### Added\n- x\n\n## 0.1.0\n### Breaking\n- old\n";
        let out = record_breaking(without, &breaks).unwrap();
        assert!(
            out.starts_with("# Changelog\n\n## Unreleased\n\n### Breaking\n- `V3StyleType`"),
            "{out}"
        );
        assert!(
            out.ends_with("## 0.1.0\n### Breaking\n- old\n"),
            "released sections untouched"
        );
        assert_eq!(record_breaking("# Changelog\n\n## 0.1.0\n", &breaks), None);
        assert_eq!(record_breaking(without, &[]).as_deref(), Some(without));
    }
}
